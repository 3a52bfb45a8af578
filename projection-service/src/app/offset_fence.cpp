#include <orders/projection/offset_fence.hpp>

#include <algorithm>

namespace orders::projection {

bool StoredAsExpected(const ExpectedOffsets& expected, const StoredOffsets& stored) {
  return std::all_of(expected.begin(), expected.end(), [&](const auto& entry) {
    const auto it = stored.find(entry.first);
    const std::optional<platform::Offset> actual = it == stored.end() ? std::nullopt : std::optional(it->second);
    return actual == entry.second;
  });
}

bool FenceHolds(const std::string& generation, const ExpectedOffsets& expected, const StorePosition& stored) {
  return stored.generation == generation && StoredAsExpected(expected, stored.offsets);
}

CommitFate ResolveInDoubt(const std::string& generation, const ExpectedOffsets& before, const StoredOffsets& batch_ends,
                          const StorePosition& stored) {
  if (stored.generation != generation) return CommitFate::kStoreMoved;
  return ResolveInDoubt(before, batch_ends, stored.offsets);
}

CommitFate ResolveInDoubt(const ExpectedOffsets& before, const StoredOffsets& batch_ends, const StoredOffsets& stored) {
  const bool at_ends = std::all_of(batch_ends.begin(), batch_ends.end(), [&](const auto& entry) {
    const auto it = stored.find(entry.first);
    return it != stored.end() && it->second == entry.second;
  });
  if (at_ends) return CommitFate::kCommitted;
  if (StoredAsExpected(before, stored)) return CommitFate::kNotCommitted;
  return CommitFate::kStoreMoved;
}

}  // namespace orders::projection

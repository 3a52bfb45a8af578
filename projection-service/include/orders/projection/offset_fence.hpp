#pragma once
// The offset fence: a batch is applied only on top of the read-model state it
// was consumed for. The consumer remembers the read model's generation and,
// per assigned partition, the next offset it last stored (or loaded when the
// partition was assigned); every batch transaction first reads the generation,
// locks the stored offsets of its partitions and compares. A difference means
// the store moved under the consumer: commits lost in a database crash
// (asynchronous commit, a restored backup), another instance wrote the
// partition (a zombie after a rebalance), or a rebuilt read model was switched
// in (a new generation). Then the batch writes nothing and the consumer
// re-reads its positions from the store. Pure logic, no I/O.

#include <map>
#include <optional>
#include <string>

#include <orders/platform/partition_offsets.hpp>

namespace orders::projection {

// Partition -> next offset, as stored in consumer_offsets.
using StoredOffsets = platform::PartitionOffsets;
// Partition -> the next offset the consumer believes is stored (nullopt: none).
using ExpectedOffsets = std::map<platform::Partition, std::optional<platform::Offset>>;

// Where the store is: the read model's generation and stored offsets.
struct StorePosition {
  std::string generation;
  StoredOffsets offsets;
};

// What a batch is applied on top of: the generation the consumer's positions
// were read from, and the next offset it believes stored per partition of the batch.
struct Fence {
  std::string generation;
  ExpectedOffsets expected;
};

// True when every partition of `expected` is stored exactly as expected
// (absent from `stored` when nullopt).
bool StoredAsExpected(const ExpectedOffsets& expected, const StoredOffsets& stored);
// The whole fence: same generation, offsets as expected.
bool FenceHolds(const std::string& generation, const ExpectedOffsets& expected, const StorePosition& stored);
inline bool FenceHolds(const Fence& fence, const StorePosition& stored) {
  return FenceHolds(fence.generation, fence.expected, stored);
}

// After a commit whose outcome is unknown, the stored offsets of the batch's
// partitions tell what happened: all at the batch's ends (committed), all
// where they were before (not committed, retry), anything else (moved).
enum class CommitFate { kCommitted, kNotCommitted, kStoreMoved };
CommitFate ResolveInDoubt(const ExpectedOffsets& before, const StoredOffsets& batch_ends, const StoredOffsets& stored);
// The same, moved when the generation changed.
CommitFate ResolveInDoubt(const std::string& generation, const ExpectedOffsets& before, const StoredOffsets& batch_ends,
                          const StorePosition& stored);

}  // namespace orders::projection

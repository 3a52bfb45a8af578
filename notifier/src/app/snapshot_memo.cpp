#include <orders/notifier/snapshot_memo.hpp>

namespace orders::notifier {

const SnapshotMemo::Pages& SnapshotMemo::Get(const Selector& selector, const std::string* decliner,
                                             std::uint64_t generation, const std::function<Pages()>& render) {
  if (valid_ && generation == generation_ && selector.kind == kind_ && selector.value == value_ &&
      (decliner ? decliner_ == *decliner : !decliner_)) {
    return pages_;
  }
  // Invalid while rendering: should render throw, no stale pages stay behind.
  valid_ = false;
  pages_ = render();
  kind_ = selector.kind;
  value_ = selector.value;
  decliner_ = decliner ? std::optional<std::string>(*decliner) : std::nullopt;
  generation_ = generation;
  valid_ = true;
  return pages_;
}

}  // namespace orders::notifier

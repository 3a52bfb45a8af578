#include <orders/notifier/webhooks/partition_progress.hpp>

namespace orders::notifier::webhooks {

void PartitionProgress::Read(platform::Offset offset, int open) {
  if (!next_ || offset + 1 > *next_) next_ = offset + 1;
  if (open > 0) open_[offset] += open;
}

void PartitionProgress::Resolve(platform::Offset offset) {
  auto it = open_.find(offset);
  if (it == open_.end()) return;
  if (--it->second <= 0) open_.erase(it);
}

std::optional<platform::Offset> PartitionProgress::Resume() const {
  if (!open_.empty()) return open_.begin()->first;
  return next_;
}

std::optional<platform::Offset> PartitionProgress::TakeChange() {
  const auto resume = Resume();
  if (!resume || resume == saved_) return std::nullopt;
  saved_ = resume;
  return resume;
}

}  // namespace orders::notifier::webhooks

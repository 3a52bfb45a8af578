#include <orders/projection/batch_builder.hpp>

#include <utility>

namespace orders::projection {

void BatchBuilder::Add(platform::ConsumedRecord record) {
  if (building_.Size() == 0) first_at_ = Clock::now();
  drained_ = false;
  AddRecord(building_, std::move(record));
}

std::chrono::milliseconds BatchBuilder::PollTimeout(const BatchApplier& applier, Clock::time_point now) const {
  const std::size_t pending = building_.Size();
  return policy_.PollTimeout(pending, drained_, pending > 0 && applier.Busy(), first_at_, now,
                             std::chrono::milliseconds(100));
}

void BatchBuilder::HandOff(BatchApplier& applier, Clock::time_point now) {
  const std::size_t pending = building_.Size();
  if (pending == 0) return;
  const bool big_enough = pending >= catch_up_records_ || drained_ || now - first_at_ >= kCatchUpMaxWait;
  if (pending >= policy_.max_records ||
      (big_enough && policy_.Due(pending, drained_, first_at_, now) && !applier.Busy())) {
    Submit(applier);
  }
}

void BatchBuilder::Flush(BatchApplier& applier) {
  if (building_.Size() > 0) Submit(applier);
}

void BatchBuilder::Submit(BatchApplier& applier) {
  const std::size_t events = building_.events.size();
  applier.Submit(std::exchange(building_, DecodedBatch{}));
  building_.stream = stream_;
  building_.events.reserve(events);  // the next batch is likely as big
}

}  // namespace orders::projection

#include <orders/projection/batch_builder.hpp>

#include <utility>

namespace orders::projection {

void BatchBuilder::Add(platform::ConsumedRecord record) {
  if (building_.Size() == 0) first_at_ = Clock::now();
  AddRecord(building_, std::move(record));
}

std::chrono::milliseconds BatchBuilder::PollTimeout(Clock::time_point now) const {
  const std::size_t pending = building_.Size();
  if (policy_.Due(pending, first_at_, now)) return std::chrono::milliseconds(5);
  return policy_.PollTimeout(pending, first_at_, now, std::chrono::milliseconds(100));
}

void BatchBuilder::HandOff(BatchApplier& applier) {
  const std::size_t pending = building_.Size();
  if (pending == 0) return;
  if (pending >= policy_.max_records || (policy_.Due(pending, first_at_, Clock::now()) && !applier.Busy())) {
    Submit(applier);
  }
}

void BatchBuilder::Flush(BatchApplier& applier) {
  if (building_.Size() > 0) Submit(applier);
}

void BatchBuilder::Submit(BatchApplier& applier) {
  const std::size_t events = building_.events.size();
  applier.Submit(std::exchange(building_, DecodedBatch{}));
  building_.events.reserve(events);  // the next batch is likely as big
}

}  // namespace orders::projection

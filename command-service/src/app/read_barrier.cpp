#include <orders/command/read_barrier.hpp>

#include <orders/platform/log_tail.hpp>

namespace orders::command {
namespace {

// After a failed query of the end offsets (broker unreachable), the next try waits this long.
constexpr auto kQueryRetry = std::chrono::milliseconds(100);

// Raises `target` to `value` unless it is already later.
void RaiseTo(std::atomic<ReadBarrier::Clock::rep>& target, ReadBarrier::Clock::rep value) {
  auto current = target.load();
  while (current < value && !target.compare_exchange_weak(current, value)) {
  }
}

}  // namespace

bool ReadBarrier::ReadThrough(Clock::time_point moment) {
  const auto count = moment.time_since_epoch().count();
  if (read_through_.load() >= count) return true;
  RaiseTo(wanted_, count);
  return false;
}

bool ReadBarrier::Tick(Clock::time_point now, const platform::PartitionOffsets& positions,
                       const EndsQuery& query_ends) {
  if (!pending_ && wanted_.load() > read_through_.load() && now >= next_query_) {
    // `now` is taken before the query: the ends it answers hold every record appended before `now`.
    if (auto ends = query_ends()) {
      pending_.emplace(now, std::move(*ends));
    } else {
      next_query_ = now + kQueryRetry;
    }
  }
  if (!pending_ || !platform::Reached(positions, pending_->second)) return false;
  RaiseTo(read_through_, pending_->first.time_since_epoch().count());
  pending_.reset();
  return true;
}

}  // namespace orders::command

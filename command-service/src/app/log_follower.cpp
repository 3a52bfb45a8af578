#include <orders/command/log_follower.hpp>

#include <chrono>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/log.hpp>

namespace orders::command {
namespace {

using Clock = std::chrono::steady_clock;

// The orders topic, folded into the order book.
class OrderFold : public FoldTarget {
 public:
  explicit OrderFold(OrderBook& book) : book_(book) {}

  Folded Fold(const platform::ConsumedRecord& record) override {
    auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
    if (!decoded.decoded) return {false, std::move(decoded.error), {}, {}};
    return {
        true, {}, book_.Apply(decoded.decoded->event, decoded.decoded->metadata), decoded.decoded->metadata.event_id};
  }
  bool HasUncertain() const override { return book_.HasUncertain(); }
  void ClearUncertainBefore(Clock::time_point cutoff) override { book_.ClearUncertainBefore(cutoff); }
  std::string_view StreamsName() const override { return "orders"; }
  std::size_t StreamCount() const override { return book_.OrderCount(); }
  std::string_view KeyName() const override { return "orderId"; }

 private:
  OrderBook& book_;
};

}  // namespace

LogFollower::LogFollower(platform::KafkaSettings settings, std::string topic, OrderBook& book, LogMarkers& markers,
                         platform::MetricsRegistry& metrics)
    : LogFollower(std::move(settings), std::move(topic), std::make_unique<OrderFold>(book), nullptr, markers, metrics,
                  {}) {}

LogFollower::LogFollower(platform::KafkaSettings settings, std::string topic, FoldTarget& target, LogMarkers& markers,
                         platform::MetricsRegistry& metrics, const platform::Labels& labels)
    : LogFollower(std::move(settings), std::move(topic), nullptr, &target, markers, metrics, labels) {}

LogFollower::LogFollower(platform::KafkaSettings settings, std::string topic, std::unique_ptr<FoldTarget> owned,
                         FoldTarget* target, LogMarkers& markers, platform::MetricsRegistry& metrics,
                         const platform::Labels& labels)
    : topic_(topic),
      owned_target_(std::move(owned)),
      target_(target ? *target : *owned_target_),
      applied_(metrics.AddCounter("orders_command_log_events_total",
                                  "Events folded from the log into the command state", labels)),
      poison_(metrics.AddCounter("orders_command_log_poison_total", "Log records that could not be decoded", labels)),
      anomalies_(metrics.AddCounter("orders_command_log_anomalies_total",
                                    "Events with a version gap or a forbidden transition (another writer?)", labels)),
      rebuild_seconds_(metrics.AddGauge("orders_command_rebuild_seconds", "Seconds the start-up rebuild took", labels)),
      settler_(markers),
      tail_(std::move(settings), std::move(topic),
            {[this](const platform::ConsumedRecord& record) { OnRecord(record); },
             [this](double seconds) {
               rebuild_seconds_.Set(seconds);
               platform::LogInfo("command state rebuilt", {{"topic", topic_},
                                                           {std::string(target_.StreamsName()), target_.StreamCount()},
                                                           {"events", applied_.Value()},
                                                           {"seconds", seconds}});
             },
             [this](platform::KafkaConsumer& consumer, const Offsets& positions) {
               Settle(positions);
               AdvanceBarrier(consumer, positions);
             }}) {}

void LogFollower::OnRecord(const platform::ConsumedRecord& record) {
  const Folded folded = target_.Fold(record);
  if (!folded.decoded) {
    poison_.Inc();
    platform::LogWarn(
        "skipping undecodable record",
        {{"topic", record.topic}, {"partition", record.partition}, {"offset", record.offset}, {"error", folded.error}});
    return;
  }
  applied_.Inc();
  if (folded.outcome == domain::ApplyOutcome::kGap || folded.outcome == domain::ApplyOutcome::kInvalid) {
    anomalies_.Inc();
    platform::LogError("the log holds an event that does not follow its stream's state",
                       {{std::string(target_.KeyName()), record.key},
                        {"topic", record.topic},
                        {"eventId", folded.event_id},
                        {"partition", record.partition},
                        {"offset", record.offset},
                        {"outcome", folded.outcome == domain::ApplyOutcome::kGap ? "gap" : "invalid"}});
  }
}

void LogFollower::Settle(const Offsets& positions) {
  const auto now = Clock::now();
  if (now < next_settle_check_) return;  // asking the book takes its lock: not after every poll
  next_settle_check_ = now + std::chrono::milliseconds(50);
  if (const auto cutoff = settler_.Tick(now, target_.HasUncertain(), tail_.PartitionCount(), positions)) {
    target_.ClearUncertainBefore(*cutoff);
  }
}

void LogFollower::AdvanceBarrier(platform::KafkaConsumer& consumer, const Offsets& positions) {
  const bool advanced =
      barrier_.Tick(Clock::now(), positions, [this, &consumer] { return consumer.EndOffsets(topic_, 1000); });
  if (advanced && read_through_listener_) read_through_listener_();
}

}  // namespace orders::command

#include <orders/command/log_follower.hpp>

#include <chrono>
#include <variant>

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
    if (!decoded.decoded) return {false, std::move(decoded.error), {}, {}, {}, {}};
    const auto& [event, metadata] = *decoded.decoded;
    return {true,
            {},
            book_.Apply(event, metadata),
            metadata.event_id,
            domain::OrderIdOf(event),
            std::holds_alternative<domain::OrderPlaced>(event) ? metadata.idempotency_key : std::nullopt};
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
      own_passed_over_(metrics.AddCounter(
          "orders_command_log_own_appends_total",
          "Events of those read back that this instance had folded when it appended them (not decoded again)", labels)),
      poison_(metrics.AddCounter("orders_command_log_poison_total", "Log records that could not be decoded", labels)),
      anomalies_(metrics.AddCounter("orders_command_log_anomalies_total",
                                    "Events with a version gap or a forbidden transition (another writer?)", labels)),
      rebuild_seconds_(metrics.AddGauge("orders_command_rebuild_seconds", "Seconds the start-up rebuild took", labels)),
      rebuild_events_(metrics.AddGauge("orders_command_rebuild_events",
                                       "Events read at start (after the state store's checkpoint, if one was used)",
                                       labels)),
      settler_(markers),
      tail_(std::move(settings), std::move(topic),
            {[this](const platform::ConsumedRecord& record) { OnRecord(record); },
             [this](double seconds) {
               rebuild_seconds_.Set(seconds);
               rebuild_events_.Set(static_cast<double>(applied_.Value()));
               platform::LogInfo("command state rebuilt", {{"topic", topic_},
                                                           {std::string(target_.StreamsName()), target_.StreamCount()},
                                                           {"events", applied_.Value()},
                                                           {"fromStateStore", snapshots_ && snapshots_->Resumed()},
                                                           {"seconds", seconds}});
             },
             [this](platform::KafkaConsumer& consumer, const Offsets& positions) {
               Settle(positions);
               AdvanceBarrier(consumer, positions);
               if (snapshots_) snapshots_->Tick(Clock::now(), positions);
             },
             [this](const Offsets& end_offsets, const Offsets& begin_offsets) {
               return Resume(end_offsets, begin_offsets);
             }}) {}

std::optional<platform::PartitionOffsets> LogFollower::Resume(const Offsets& end_offsets,
                                                              const Offsets& begin_offsets) {
  if (!snapshots_) return std::nullopt;
  return snapshots_->Resume(end_offsets, begin_offsets);  // it logs what it loaded, or why not
}

void LogFollower::Stop() {
  tail_.Stop();
  // Every record before the positions was folded: a checkpoint at any time, caught up or not.
  if (!snapshots_ || tail_.PartitionCount() == 0) return;
  Offsets positions;
  for (platform::Partition partition = 0; partition < tail_.PartitionCount(); ++partition) {
    positions[partition] = tail_.Position(partition);
  }
  snapshots_->Flush(positions);
}

void LogFollower::OnRecord(const platform::ConsumedRecord& record) {
  if (own_appends_ && own_appends_->Take(record.partition, record.offset)) {
    // Already in the state; the state store still learns that the stream changed.
    applied_.Inc();
    own_passed_over_.Inc();
    if (snapshots_) snapshots_->Folded(record.key, codec::PlacementIdempotencyKey(record.headers));
    return;
  }
  const Folded folded = target_.Fold(record);
  if (!folded.decoded) {
    poison_.Inc();
    platform::LogWarn(
        "skipping undecodable record",
        {{"topic", record.topic}, {"partition", record.partition}, {"offset", record.offset}, {"error", folded.error}});
    return;
  }
  applied_.Inc();
  if (snapshots_) snapshots_->Folded(folded.stream_id, folded.idempotency_key);
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

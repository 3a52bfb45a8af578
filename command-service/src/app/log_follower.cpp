#include <orders/command/log_follower.hpp>

#include <chrono>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/log.hpp>

namespace orders::command {
namespace {

using Clock = std::chrono::steady_clock;

// How long an append with an unknown outcome may still land in the log.
constexpr auto kUncertainGrace = std::chrono::seconds(6);

}  // namespace

LogFollower::LogFollower(platform::KafkaSettings settings, std::string topic, OrderBook& book,
                         platform::MetricsRegistry& metrics)
    : topic_(topic),
      book_(book),
      applied_(
          metrics.AddCounter("orders_command_log_events_total", "Events folded from the log into the command state")),
      poison_(metrics.AddCounter("orders_command_log_poison_total", "Log records that could not be decoded")),
      anomalies_(metrics.AddCounter("orders_command_log_anomalies_total",
                                    "Events with a version gap or a forbidden transition (another writer?)")),
      rebuild_seconds_(metrics.AddGauge("orders_command_rebuild_seconds", "Seconds the start-up rebuild took")),
      tail_(std::move(settings), std::move(topic),
            {[this](const platform::ConsumedRecord& record) { OnRecord(record); },
             [this](double seconds) {
               rebuild_seconds_.Set(seconds);
               platform::LogInfo("command state rebuilt",
                                 {{"orders", book_.OrderCount()}, {"events", applied_.Value()}, {"seconds", seconds}});
             },
             [this](platform::KafkaConsumer& consumer, const Offsets& positions) { Settle(consumer, positions); }}) {}

void LogFollower::OnRecord(const platform::ConsumedRecord& record) {
  auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
  if (!decoded.decoded) {
    poison_.Inc();
    platform::LogWarn("skipping undecodable record", {{"topic", record.topic},
                                                      {"partition", record.partition},
                                                      {"offset", record.offset},
                                                      {"error", decoded.error}});
    return;
  }
  const auto outcome = book_.Apply(decoded.decoded->event, decoded.decoded->metadata);
  applied_.Inc();
  if (outcome == domain::ApplyOutcome::kGap || outcome == domain::ApplyOutcome::kInvalid) {
    anomalies_.Inc();
    platform::LogError("the log holds an event that does not follow its order's state",
                       {{"orderId", record.key},
                        {"eventId", decoded.decoded->metadata.event_id},
                        {"partition", record.partition},
                        {"offset", record.offset},
                        {"outcome", outcome == domain::ApplyOutcome::kGap ? "gap" : "invalid"}});
  }
}

// Settles unknown outcomes: once the log is read past the end offsets queried
// after the grace period, every uncertain append has shown up or never will.
void LogFollower::Settle(platform::KafkaConsumer& consumer, const Offsets& positions) {
  const auto now = Clock::now();
  if (now < next_settle_check_) return;
  next_settle_check_ = now + std::chrono::milliseconds(500);
  if (settling_ && platform::Reached(positions, settling_->second)) {
    book_.ClearUncertainBefore(settling_->first);
    settling_.reset();
  }
  if (!settling_ && book_.HasUncertain()) {
    const auto cutoff = now - kUncertainGrace;
    if (auto ends = consumer.EndOffsets(topic_, 1000)) settling_.emplace(cutoff, *ends);
  }
}

}  // namespace orders::command

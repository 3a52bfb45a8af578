#include <orders/command/log_follower.hpp>

#include <chrono>
#include <map>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/log.hpp>

namespace orders::command {
namespace {

using Clock = std::chrono::steady_clock;
using Offsets = std::map<std::int32_t, std::int64_t>;

bool Reached(const Offsets& positions, const Offsets& targets) {
  for (const auto& [partition, end] : targets) {
    auto it = positions.find(partition);
    if ((it == positions.end() ? 0 : it->second) < end) return false;
  }
  return true;
}

// How long an append with an unknown outcome may still land in the log.
constexpr auto kUncertainGrace = std::chrono::seconds(6);

}  // namespace

LogFollower::LogFollower(platform::KafkaSettings settings, std::string topic, OrderBook& book,
                         platform::MetricsRegistry& metrics)
    : settings_(std::move(settings)),
      topic_(std::move(topic)),
      book_(book),
      applied_(metrics.AddCounter("orders_command_log_events_total", "Events folded from the log into the command state")),
      poison_(metrics.AddCounter("orders_command_log_poison_total", "Log records that could not be decoded")),
      anomalies_(metrics.AddCounter("orders_command_log_anomalies_total",
                                    "Events with a version gap or a forbidden transition (another writer?)")),
      rebuild_seconds_(metrics.AddGauge("orders_command_rebuild_seconds", "Seconds the start-up rebuild took")) {}

LogFollower::~LogFollower() { Stop(); }

void LogFollower::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LogFollower::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::int64_t LogFollower::Position(std::int32_t partition) const {
  if (partition < 0 || partition >= PartitionCount()) return 0;
  return positions_[static_cast<std::size_t>(partition)].load(std::memory_order_acquire);
}

void LogFollower::Run() {
  auto backoff = std::chrono::milliseconds(200);
  std::unique_ptr<platform::KafkaConsumer> consumer;
  Offsets start_ends;
  const auto started = Clock::now();
  while (!stop_ && !consumer) {
    std::string error;
    consumer = platform::KafkaConsumer::Create(settings_, error);
    std::optional<Offsets> ends;
    if (consumer) ends = consumer->EndOffsets(topic_, 3000);
    if (consumer && ends &&
        consumer->AssignAll(topic_, [](std::int32_t) { return platform::kOffsetBeginning; }, 3000, error)) {
      start_ends = *ends;
      positions_ = std::make_unique<std::atomic<std::int64_t>[]>(ends->size());
      partition_count_.store(static_cast<std::int32_t>(ends->size()), std::memory_order_release);
      break;
    }
    platform::LogWarn("log follower cannot read the topic yet; retrying",
                      {{"topic", topic_}, {"error", error.empty() ? "metadata unavailable" : error},
                       {"retryInMs", backoff.count()}});
    consumer.reset();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  if (!consumer) return;
  platform::LogInfo("rebuilding command state from the log", {{"topic", topic_}});

  Offsets positions;
  std::optional<std::pair<Clock::time_point, Offsets>> settling;  // cutoff and ends to reach
  auto next_settle_check = Clock::now();
  while (!stop_) {
    auto polled = consumer->Poll(50);
    if (polled.kind == platform::PollResult::Kind::kRecord) {
      const auto& record = polled.record;
      positions[record.partition] = record.offset + 1;
      auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
      if (decoded.decoded) {
        const auto outcome = book_.Apply(decoded.decoded->event, decoded.decoded->metadata);
        applied_.Inc();
        if (outcome == domain::ApplyOutcome::kGap || outcome == domain::ApplyOutcome::kInvalid) {
          anomalies_.Inc();
          platform::LogError("the log holds an event that does not follow its order's state",
                             {{"orderId", record.key}, {"eventId", decoded.decoded->metadata.event_id},
                              {"partition", record.partition}, {"offset", record.offset},
                              {"outcome", outcome == domain::ApplyOutcome::kGap ? "gap" : "invalid"}});
        }
      } else {
        poison_.Inc();
        platform::LogWarn("skipping undecodable record",
                          {{"topic", record.topic}, {"partition", record.partition}, {"offset", record.offset},
                           {"error", decoded.error}});
      }
    } else if (polled.kind == platform::PollResult::Kind::kPartitionEnd) {
      positions[polled.record.partition] = std::max(positions[polled.record.partition], polled.record.offset);
    }
    if (polled.kind == platform::PollResult::Kind::kRecord || polled.kind == platform::PollResult::Kind::kPartitionEnd) {
      const auto partition = polled.record.partition;
      if (partition >= 0 && partition < PartitionCount()) {
        positions_[static_cast<std::size_t>(partition)].store(positions[partition], std::memory_order_release);
      }
    }

    if (!caught_up_ && Reached(positions, start_ends)) {
      caught_up_ = true;
      const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      rebuild_seconds_.Set(seconds);
      platform::LogInfo("command state rebuilt", {{"orders", book_.OrderCount()},
                                                  {"events", applied_.Value()}, {"seconds", seconds}});
    }

    // Settle unknown outcomes: once the log is read past the end offsets
    // queried after the grace period, every uncertain append has shown up or
    // never will.
    if (Clock::now() >= next_settle_check) {
      next_settle_check = Clock::now() + std::chrono::milliseconds(500);
      if (settling && Reached(positions, settling->second)) {
        book_.ClearUncertainBefore(settling->first);
        settling.reset();
      }
      if (!settling && book_.HasUncertain()) {
        const auto cutoff = Clock::now() - kUncertainGrace;
        if (auto ends = consumer->EndOffsets(topic_, 1000)) settling.emplace(cutoff, *ends);
      }
    }
  }
  consumer->Close(5000);
}

}  // namespace orders::command

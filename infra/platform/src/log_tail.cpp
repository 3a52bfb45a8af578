#include <orders/platform/log_tail.hpp>

#include <chrono>

#include <orders/platform/log.hpp>

namespace orders::platform {

using Clock = std::chrono::steady_clock;
using Offsets = PartitionOffsets;

bool Reached(const Offsets& positions, const Offsets& targets) {
  for (const auto& [partition, end] : targets) {
    auto it = positions.find(partition);
    if ((it == positions.end() ? 0 : it->second) < end) return false;
  }
  return true;
}

LogTail::LogTail(KafkaSettings settings, std::string topic, LogTailHooks hooks, TailStart start)
    : settings_(std::move(settings)), topic_(std::move(topic)), hooks_(std::move(hooks)), start_(start) {}

LogTail::~LogTail() { Stop(); }

void LogTail::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LogTail::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Offset LogTail::Position(Partition partition) const {
  if (partition < 0 || partition >= PartitionCount()) return 0;
  return positions_[static_cast<std::size_t>(partition)].load(std::memory_order_acquire);
}

const std::optional<Offsets>& LogTail::ChosenStart(KafkaConsumer& consumer, const Offsets& ends) const {
  if (chosen_start_) return *chosen_start_;
  if (!hooks_.choose_start) {
    chosen_start_.emplace(std::nullopt);
    return *chosen_start_;
  }
  // Asked only here: a start from a checkpoint needs to know whether its records are still in the log.
  static const std::optional<Offsets> kUnknown;
  auto begins = consumer.BeginOffsets(topic_, 3000);
  if (!begins) return kUnknown;  // not chosen yet: the caller retries the connection
  chosen_start_.emplace(hooks_.choose_start(ends, *begins));
  return *chosen_start_;
}

Result<std::pair<std::unique_ptr<KafkaConsumer>, Offsets>> LogTail::ConnectOnce() const {
  auto consumer = KafkaConsumer::Create(settings_);
  if (!consumer) return consumer.error();
  auto ends = (*consumer)->EndOffsets(topic_, 3000);
  if (!ends) return Fail("metadata unavailable");
  // From the end: the offsets just read, so nothing appended meanwhile is skipped.
  const auto& chosen = ChosenStart(**consumer, *ends);
  if (!chosen_start_) return Fail("first offsets unavailable");
  const auto start_offset = [&](Partition partition) {
    if (chosen) {
      auto from = chosen->find(partition);
      return from == chosen->end() ? kOffsetBeginning : from->second;
    }
    if (start_ == TailStart::kBeginning) return kOffsetBeginning;
    auto end = ends->find(partition);
    return end == ends->end() ? kOffsetBeginning : end->second;
  };
  if (auto assigned = (*consumer)->AssignAll(topic_, start_offset, 3000); !assigned) {
    return assigned.error();
  }
  return std::make_pair(std::move(*consumer), std::move(*ends));
}

std::unique_ptr<KafkaConsumer> LogTail::Connect(Offsets& start_ends) {
  auto backoff = std::chrono::milliseconds(200);
  while (!stop_) {
    auto connected = ConnectOnce();
    if (connected) {
      auto& [consumer, ends] = *connected;
      start_ends = ends;
      positions_ = std::make_unique<std::atomic<Offset>[]>(ends.size());
      partition_count_.store(static_cast<std::int32_t>(ends.size()), std::memory_order_release);
      return std::move(consumer);
    }
    LogWarn("cannot read the topic yet; retrying",
            {{"topic", topic_}, {"error", connected.error().message}, {"retryInMs", backoff.count()}});
    // In slices, so that Stop is not held up by a long backoff (e.g. a topic that does not exist).
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stop_; slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  return nullptr;
}

void LogTail::Run() {
  const auto started = Clock::now();
  Offsets start_ends;
  auto consumer = Connect(start_ends);
  if (!consumer) return;
  // Starting from the end or a checkpoint, what lies before counts as read.
  Offsets positions = chosen_start_ && *chosen_start_ ? **chosen_start_
                      : start_ == TailStart::kEnd     ? start_ends
                                                      : Offsets{};
  for (const auto& [partition, offset] : positions) {
    if (partition >= 0 && partition < PartitionCount()) {
      positions_[static_cast<std::size_t>(partition)].store(offset, std::memory_order_release);
    }
  }
  while (!stop_) {
    auto polled = consumer->Poll(50);
    const auto partition = polled.record.partition;
    if (polled.kind == PollResult::Kind::kRecord || polled.kind == PollResult::Kind::kMarker) {
      positions[partition] = polled.record.offset + 1;
      if (hooks_.on_record && polled.kind == PollResult::Kind::kRecord) hooks_.on_record(polled.record);
    } else if (polled.kind == PollResult::Kind::kPartitionEnd) {
      positions[partition] = std::max(positions[partition], polled.record.offset);
    } else if (polled.kind == PollResult::Kind::kError) {
      LogWarn("error while reading the topic", {{"topic", topic_}, {"error", polled.error}});
    }
    if ((polled.kind == PollResult::Kind::kRecord || polled.kind == PollResult::Kind::kMarker ||
         polled.kind == PollResult::Kind::kPartitionEnd) &&
        partition >= 0 && partition < PartitionCount()) {
      positions_[static_cast<std::size_t>(partition)].store(positions[partition], std::memory_order_release);
    }
    if (!caught_up_ && Reached(positions, start_ends)) {
      caught_up_ = true;
      if (hooks_.on_caught_up) hooks_.on_caught_up(std::chrono::duration<double>(Clock::now() - started).count());
    }
    if (hooks_.on_tick) hooks_.on_tick(*consumer, positions);
  }
  consumer->Close(5000);
}

}  // namespace orders::platform

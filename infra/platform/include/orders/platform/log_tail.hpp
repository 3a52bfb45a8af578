#pragma once
// Reads every partition of a topic from the beginning, then keeps following
// it, on its own thread: the way the command service rebuilds its state and
// the notifier its order cache. Retries with backoff while Kafka is
// unreachable. "Caught up" once it has read up to the end offsets it saw at
// start. Knows records, not events.
//
// TailStart::kEnd skips the history: every partition starts at the end offset
// seen when the tail connects (caught up at once), for readers that want only
// what is appended from then on (the notifier's inventory topic feed).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <orders/platform/kafka_consumer.hpp>

namespace orders::platform {

struct LogTailHooks {
  // Every record, in partition order, on the tail's thread.
  std::function<void(const ConsumedRecord&)> on_record;
  // Once, when the start-up end offsets are reached.
  std::function<void(double seconds)> on_caught_up;
  // After every poll (at least every 50 ms), with the tail's consumer and the
  // positions read so far (next offset per partition).
  std::function<void(KafkaConsumer&, const PartitionOffsets&)> on_tick;
  // Once, on the tail's thread before the first record, with the topic's end
  // offsets and first offsets (a partition's records before its first offset
  // were deleted: retention): where each partition starts (a state restored
  // from a checkpoint: only the tail after it is read), or nullopt for the
  // TailStart. Caught up still means "reached the end offsets seen at start".
  std::function<std::optional<PartitionOffsets>(const PartitionOffsets& end_offsets,
                                                const PartitionOffsets& begin_offsets)>
      choose_start;
};

enum class TailStart { kBeginning, kEnd };

class LogTail {
 public:
  LogTail(KafkaSettings settings, std::string topic, LogTailHooks hooks, TailStart start = TailStart::kBeginning);
  ~LogTail();

  void Start();
  void Stop();

  bool CaughtUp() const { return caught_up_.load(); }
  // 0 until the topic's metadata has been read.
  std::int32_t PartitionCount() const { return partition_count_.load(std::memory_order_acquire); }
  // The next offset to read in `partition`: every record before it was handed to on_record.
  Offset Position(Partition partition) const;

 private:
  void Run();
  // A consumer assigned every partition from the beginning, and the end offsets it saw first.
  Result<std::pair<std::unique_ptr<KafkaConsumer>, PartitionOffsets>> ConnectOnce() const;
  std::unique_ptr<KafkaConsumer> Connect(PartitionOffsets& start_ends);
  // choose_start's answer, asked once (a failed connection is retried with the same start).
  const std::optional<PartitionOffsets>& ChosenStart(KafkaConsumer& consumer, const PartitionOffsets& ends) const;

  KafkaSettings settings_;
  std::string topic_;
  LogTailHooks hooks_;
  TailStart start_;
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> stop_{false};
  std::atomic<std::int32_t> partition_count_{0};
  std::unique_ptr<std::atomic<Offset>[]> positions_;
  mutable std::optional<std::optional<PartitionOffsets>> chosen_start_;  // only the tail's thread
  std::thread thread_;
};

// True when `positions` reached every offset in `targets`.
bool Reached(const PartitionOffsets& positions, const PartitionOffsets& targets);

}  // namespace orders::platform

#pragma once
// Reads the whole topic (every partition, from the beginning) on its own
// thread and folds every event into the OrderBook: at start this rebuilds the
// authoritative state, later it keeps it current and settles appends whose
// outcome was unknown. Ready once it has read up to the end offsets it saw
// at start. Retries with backoff while Kafka is unreachable.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <orders/command/order_book.hpp>
#include <orders/platform/kafka_settings.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

class LogFollower {
 public:
  LogFollower(platform::KafkaSettings settings, std::string topic, OrderBook& book,
              platform::MetricsRegistry& metrics);
  ~LogFollower();

  void Start();
  void Stop();

  bool CaughtUp() const { return caught_up_.load(); }
  // 0 until the topic's metadata has been read.
  std::int32_t PartitionCount() const { return partition_count_.load(std::memory_order_acquire); }
  // The next offset this follower will read in `partition` (all before it are folded).
  std::int64_t Position(std::int32_t partition) const;

 private:
  void Run();

  platform::KafkaSettings settings_;
  std::string topic_;
  OrderBook& book_;
  platform::Counter& applied_;
  platform::Counter& poison_;
  platform::Counter& anomalies_;
  platform::Gauge& rebuild_seconds_;
  std::atomic<bool> caught_up_{false};
  std::atomic<std::int32_t> partition_count_{0};
  std::unique_ptr<std::atomic<std::int64_t>[]> positions_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace orders::command

#pragma once
// The notifier's one consumer: reads every partition from the beginning
// (platform::LogTail), decodes each record and hands the events, in batches
// and in log order, to the hub's io thread. Never blocks on the WebSocket
// side; if the io thread falls behind by more than `max_pending` events the
// consumer waits (bounded memory) rather than dropping anything.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <asio.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/platform/log_tail.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::notifier {

class LogFeed {
 public:
  LogFeed(platform::KafkaSettings settings, std::string topic, asio::io_context& io, Hub& hub,
          platform::MetricsRegistry& metrics);

  void Start() { tail_.Start(); }
  void Stop() { tail_.Stop(); }
  bool CaughtUp() const { return tail_.CaughtUp(); }

 private:
  void OnRecord(const platform::ConsumedRecord& record);
  void Flush();

  static constexpr std::size_t kBatch = 256;
  static constexpr std::int64_t kMaxPending = 100000;

  asio::io_context& io_;
  Hub& hub_;
  platform::Counter& events_;
  platform::Counter& poison_;
  std::vector<domain::Event> batch_;
  std::atomic<std::int64_t> pending_{0};
  platform::LogTail tail_;  // last: its thread uses the members above
};

}  // namespace orders::notifier

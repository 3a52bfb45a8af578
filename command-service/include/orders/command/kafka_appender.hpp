#pragma once
// EventAppender onto the Kafka topic through the idempotent producer.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <orders/command/event_appender.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

class KafkaAppender : public EventAppender {
 public:
  KafkaAppender(platform::KafkaProducer& producer, std::string topic, platform::MetricsRegistry& metrics);

  void Append(const codec::EventRecord& record, std::int32_t partition,
              std::function<void(AppendOutcome)> done) override;
  // Appends to `partition` not yet acknowledged.
  std::int64_t InFlight(std::int32_t partition) const;

 private:
  platform::KafkaProducer& producer_;
  std::string topic_;
  platform::Counter& persisted_;
  platform::Counter& failed_;
  platform::Counter& unknown_;
  platform::Histogram& latency_;
  mutable std::mutex mutex_;
  std::map<std::int32_t, std::int64_t> in_flight_;
};

}  // namespace orders::command

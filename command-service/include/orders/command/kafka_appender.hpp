#pragma once
// EventAppender onto the Kafka topic through the idempotent producer.

#include <memory>
#include <string>

#include <orders/command/event_appender.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

class KafkaAppender : public EventAppender {
 public:
  KafkaAppender(platform::KafkaProducer& producer, std::string topic, platform::MetricsRegistry& metrics);

  void Append(const codec::EventRecord& record, std::function<void(AppendOutcome)> done) override;

 private:
  platform::KafkaProducer& producer_;
  std::string topic_;
  platform::Counter& persisted_;
  platform::Counter& failed_;
  platform::Counter& unknown_;
  platform::Histogram& latency_;
};

}  // namespace orders::command

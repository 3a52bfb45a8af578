#pragma once
// EventAppender onto a Kafka topic through the idempotent producer (one per
// topic; the orders and inventory appenders share the producer). It also
// writes the topic's log markers, through the same producer: only then does an
// acknowledged marker follow the appends whose outcome was unknown.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <orders/command/event_appender.hpp>
#include <orders/command/log_markers.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

class KafkaAppender : public EventAppender, public LogMarkers {
 public:
  // `labels` tell this appender's metrics from another's on the same registry
  // (the inventory topic's appender: stream="inventory").
  KafkaAppender(platform::KafkaProducer& producer, std::string topic, platform::MetricsRegistry& metrics,
                const platform::Labels& labels = {});

  void Append(const codec::EventRecord& record, platform::Partition partition,
              std::function<void(Appended)> done) override;
  // Hands the whole chain to the producer at once (ProduceInOrder): a record
  // does not wait for the acknowledgement of the one before it.
  void AppendInOrder(std::vector<ChainedAppend> chain, platform::Partition partition) override;
  void AppendMarkers(platform::Partition partition_count, Done done) override;
  // Appends to `partition` not yet acknowledged.
  std::int64_t InFlight(platform::Partition partition) const;

 private:
  // Counts an append in flight and returns its delivery report's handler, which answers `done`.
  platform::DeliveryCallback Delivery(const std::string& order_id, platform::Partition partition,
                                      std::function<void(Appended)> done);
  void Finished(platform::Partition partition);
  // A record the producer refused to queue: definitely not in the log.
  void NotQueued(const std::string& order_id, platform::Partition partition, const std::string& why,
                 const std::function<void(Appended)>& done);

  platform::KafkaProducer& producer_;
  std::string topic_;
  platform::Counter& persisted_;
  platform::Counter& failed_;
  platform::Counter& unknown_;
  platform::Histogram& latency_;
  mutable std::mutex mutex_;
  std::map<platform::Partition, std::int64_t> in_flight_;  // a count per partition, not an offset
};

}  // namespace orders::command

#include <orders/command/kafka_appender.hpp>

#include <chrono>
#include <memory>

#include <orders/platform/log.hpp>
#include <orders/platform/log_marker.hpp>

namespace orders::command {

namespace {

platform::Labels With(platform::Labels labels, const std::string& name, const std::string& value) {
  labels.emplace(name, value);
  return labels;
}

}  // namespace

KafkaAppender::KafkaAppender(platform::KafkaProducer& producer, std::string topic, platform::MetricsRegistry& metrics,
                             const platform::Labels& labels)
    : producer_(producer),
      topic_(std::move(topic)),
      persisted_(metrics.AddCounter("orders_events_appended_total", "Events appended to the log",
                                    With(labels, "outcome", "persisted"))),
      failed_(metrics.AddCounter("orders_events_appended_total", "Events appended to the log",
                                 With(labels, "outcome", "failed"))),
      unknown_(metrics.AddCounter("orders_events_appended_total", "Events appended to the log",
                                  With(labels, "outcome", "unknown"))),
      latency_(metrics.AddHistogram("orders_append_seconds", "Time from produce to broker acknowledgement",
                                    platform::LatencyBuckets(), labels)) {}

std::int64_t KafkaAppender::InFlight(platform::Partition partition) const {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(partition);
  return it == in_flight_.end() ? 0 : it->second;
}

platform::DeliveryCallback KafkaAppender::Delivery(const std::string& order_id, platform::Partition partition,
                                                   std::function<void(Appended)> done) {
  const auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    ++in_flight_[partition];
  }
  return [this, started, order_id, partition, done = std::move(done)](const platform::DeliveryReport& report) {
    Finished(partition);
    latency_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    switch (report.outcome) {
      case platform::DeliveryReport::Outcome::kPersisted:
        persisted_.Inc();
        // Checked first: the fields would be built (a few allocations) for every event even with debug off.
        if (platform::LogEnabled(platform::LogLevel::kDebug)) {
          platform::LogDebug(
              "event appended",
              {{"orderId", order_id}, {"topic", topic_}, {"partition", report.partition}, {"offset", report.offset}});
        }
        done({AppendOutcome::kPersisted,
              report.offset >= 0 ? std::optional<platform::Offset>(report.offset) : std::nullopt});
        return;
      case platform::DeliveryReport::Outcome::kNotPersisted:
        failed_.Inc();
        platform::LogWarn("event not appended", {{"orderId", order_id}, {"error", report.error}});
        done({AppendOutcome::kFailed, std::nullopt});
        return;
      case platform::DeliveryReport::Outcome::kUnknown:
        unknown_.Inc();
        platform::LogWarn("event append outcome unknown", {{"orderId", order_id}, {"error", report.error}});
        done({AppendOutcome::kUnknown, std::nullopt});
        return;
    }
  };
}

void KafkaAppender::Finished(platform::Partition partition) {
  std::lock_guard lock(mutex_);
  --in_flight_[partition];
}

void KafkaAppender::NotQueued(const std::string& order_id, platform::Partition partition, const std::string& why,
                              const std::function<void(Appended)>& done) {
  Finished(partition);
  failed_.Inc();
  platform::LogWarn("event could not be queued", {{"orderId", order_id}, {"error", why}});
  done({AppendOutcome::kFailed, std::nullopt});
}

void KafkaAppender::Append(const codec::EventRecord& record, platform::Partition partition,
                           std::function<void(Appended)> done) {
  auto queued = producer_.Produce(topic_, partition, record.key, record.value, record.headers,
                                  Delivery(record.key, partition, done));
  if (!queued) NotQueued(record.key, partition, queued.error().message, done);
}

void KafkaAppender::AppendInOrder(std::vector<ChainedAppend> chain, platform::Partition partition) {
  std::vector<platform::OrderedRecord> records;
  records.reserve(chain.size());
  for (auto& link : chain) {  // the value and headers are the producer's now; the key still names a refusal
    records.push_back({link.record.key, std::move(link.record.value), std::move(link.record.headers),
                       Delivery(link.record.key, partition, link.done)});
  }
  const auto queued = producer_.ProduceInOrder(topic_, partition, records);
  for (std::size_t i = queued; i < chain.size(); ++i) {
    NotQueued(chain[i].record.key, partition, "an earlier record of its chain could not be queued", chain[i].done);
  }
}

void KafkaAppender::AppendMarkers(platform::Partition partition_count, Done done) {
  struct Round {
    std::mutex mutex;
    platform::Partition waiting = 0;
    bool all_persisted = true;
    platform::PartitionOffsets offsets;
    Done done;
  };
  auto round = std::make_shared<Round>();
  round->waiting = partition_count;
  round->done = std::move(done);
  auto settle = [this, round](platform::Partition partition, std::optional<platform::Offset> offset) {
    Done finished;
    std::optional<platform::PartitionOffsets> answer;
    {
      std::lock_guard lock(round->mutex);
      if (offset) {
        round->offsets[partition] = *offset;
      } else {
        round->all_persisted = false;
      }
      if (--round->waiting > 0) return;
      if (round->all_persisted) answer = std::move(round->offsets);
      finished = std::move(round->done);
    }
    if (!answer) {
      platform::LogWarn("log markers not acknowledged; unknown outcomes stay unsettled", {{"topic", topic_}});
    }
    finished(std::move(answer));
  };
  if (partition_count <= 0) {
    round->done(platform::PartitionOffsets{});
    return;
  }
  const platform::KafkaHeaders headers{{std::string(platform::kLogMarkerHeader), "settle"}};
  for (platform::Partition partition = 0; partition < partition_count; ++partition) {
    auto queued = producer_.Produce(
        topic_, partition, "", "", headers, [settle, partition](const platform::DeliveryReport& report) {
          const bool persisted = report.outcome == platform::DeliveryReport::Outcome::kPersisted;
          settle(partition, persisted ? std::optional(report.offset) : std::nullopt);
        });
    if (!queued) settle(partition, std::nullopt);
  }
}

}  // namespace orders::command

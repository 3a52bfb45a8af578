#pragma once
// Asynchronous producer of keyed records with a delivery callback per record.
//
// The callback runs on the producer's poll thread exactly once per Produce()
// that returned true. Outcomes are classified so that callers never report an
// unknown outcome as success:
//   kPersisted    acknowledged by all in-sync replicas
//   kNotPersisted definitely not written (safe to report failure)
//   kUnknown      may or may not be in the log (purged, fatal error)
// The producer never times a record out (message.timeout.ms=0): with
// librdkafka 2.0.2 a record timing out in flight bumps the idempotent
// producer's epoch, after which batches already written may be sent again
// and land twice (docs/library-notes.md). A caller bounds its own wait
// (command-service: deadline_appender.hpp); the queue's limits
// (queue.buffering.max.*) bound what waits, and a full queue fails Produce().
// A fatal idempotent-producer error (librdkafka 2.0.2 can raise one after a
// broker disconnect) marks the producer for re-creation; the next Produce()
// builds a fresh one. Delivery callbacks never run under the producer's lock,
// so a callback may call Produce() again.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <orders/platform/kafka_settings.hpp>
#include <orders/platform/partition_offsets.hpp>
#include <orders/platform/result.hpp>

namespace orders::platform {

struct DeliveryReport {
  enum class Outcome { kPersisted, kNotPersisted, kUnknown };
  Outcome outcome = Outcome::kUnknown;
  Partition partition = -1;
  Offset offset = -1;
  std::string error;  // for logs only, never for clients
};

using DeliveryCallback = std::function<void(const DeliveryReport&)>;

struct OrderedRecord {
  std::string key;
  std::string value;
  KafkaHeaders headers;
  DeliveryCallback on_delivery;
};

class KafkaProducer {
 public:
  // Fails when the configuration is invalid.
  static Result<std::unique_ptr<KafkaProducer>> Create(const KafkaSettings& settings);
  ~KafkaProducer();

  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues a record for `partition` (kAnyPartition: librdkafka's partitioner
  // picks by key). Fails (and does not call `on_delivery`) when the record
  // could not even be queued.
  static constexpr Partition kAnyPartition = -1;
  Result<void> Produce(const std::string& topic, Partition partition, const std::string& key, const std::string& value,
                       const KafkaHeaders& headers, DeliveryCallback on_delivery);
  Result<void> Produce(const std::string& topic, const std::string& key, const std::string& value,
                       const KafkaHeaders& headers, DeliveryCallback on_delivery) {
    return Produce(topic, kAnyPartition, key, value, headers, std::move(on_delivery));
  }

  // Queues `records` for `partition` in their order, on one librdkafka
  // instance, each only if every one before it was queued; returns how many
  // were (the callbacks of the rest are not called). None of them is then in
  // the log unless every one before it is: the idempotent producer writes a
  // partition's records in order, and its gapless guarantee (kafka_settings.cpp)
  // turns an error that would leave a hole into a fatal one. So a caller may
  // queue an event that only holds after an earlier one without waiting for
  // the earlier one's acknowledgement.
  std::size_t ProduceInOrder(const std::string& topic, Partition partition, const std::vector<OrderedRecord>& records);

  // Waits up to `timeout_ms` for every queued record's delivery report.
  bool Flush(int timeout_ms);
  // Fails every record still queued or in flight, running their delivery
  // callbacks (kNotPersisted, or kUnknown for one already sent): none of them
  // is sent again. For shutdown, before another instance takes the partitions.
  void Purge();

  // True when a broker answered a metadata request within `timeout_ms`.
  bool CheckConnectivity(const std::string& topic, int timeout_ms);

  std::int64_t InFlight() const { return in_flight_.load(); }
  // How many times a fatal error made it build a fresh librdkafka producer.
  int Recreations() const { return recreations_.load(); }

  // Test hook: raises a fatal error inside librdkafka, as a broker-side
  // idempotence failure would (rd_kafka_test_fatal_error).
  bool TriggerFatalErrorForTesting();

 private:
  explicit KafkaProducer(KafkaSettings settings);
  // Swaps in a fresh librdkafka producer (call with mutex_ held); returns the
  // old one, which the caller drains after releasing the lock.
  Result<std::shared_ptr<RdKafka::Producer>> Recreate();
  // The librdkafka instance to produce on, re-created first after a fatal error.
  Result<std::shared_ptr<RdKafka::Producer>> Current();
  // One produce() on `producer`; librdkafka's error code (ERR__FATAL marks the producer for re-creation).
  int ProduceOn(RdKafka::Producer& producer, const std::string& topic, Partition partition, const std::string& key,
                const std::string& value, const KafkaHeaders& headers, DeliveryCallback on_delivery);
  void PollLoop();

  class Callbacks;

  KafkaSettings settings_;
  std::unique_ptr<Callbacks> callbacks_;
  std::mutex mutex_;  // guards producer_ replacement
  std::shared_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> fatal_{false};
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<int> recreations_{0};
  std::thread poller_;
};

}  // namespace orders::platform

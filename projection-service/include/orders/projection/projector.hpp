#pragma once
// The consumer side: reads ORDERS_TOPIC in consumer group CONSUMER_GROUP and
// applies records in batches (BatchPolicy), each batch and its offsets in one
// PostgreSQL transaction (ReadModelWriter). Start offsets come from the
// read model's consumer_offsets on every assignment, never from Kafka.
//
// Failures: a database error keeps the batch and retries it with backoff
// (the version guard makes a re-apply a no-op); an in-doubt commit is
// resolved by re-reading the stored offsets. The loop runs on its own thread;
// Stop() finishes and commits the pending batch, then closes the consumer.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <orders/platform/config.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/projection_metrics.hpp>
#include <orders/projection/read_model_writer.hpp>
#include <orders/projection/version_waiters.hpp>

namespace orders::projection {

class Projector : private platform::PartitionListener {
 public:
  Projector(const platform::ServiceConfig& config, std::string connection_string, VersionWaiters& waiters,
            ProjectionMetrics& metrics, BatchPolicy policy = {});
  ~Projector() override;

  bool Start(std::string& error);
  void Stop();

  // True once the group assigned partitions (possibly none) and the last
  // database operation succeeded.
  bool Healthy() const { return joined_.load() && store_ok_.load(); }

 private:
  std::map<std::int32_t, std::int64_t> OnAssigned(const std::vector<std::int32_t>& partitions) override;
  void OnRevoked(const std::vector<std::int32_t>& partitions) override;

  void Run();
  // Applies the pending records; retries until success or `give_up` passes.
  bool Flush(std::chrono::steady_clock::time_point give_up);
  bool ApplyOnce();
  void Publish(const BatchWrites& writes);
  void UpdateLag();

  platform::ServiceConfig config_;
  ReadModelWriter writer_;
  VersionWaiters& waiters_;
  ProjectionMetrics& metrics_;
  BatchPolicy policy_;
  std::unique_ptr<platform::KafkaConsumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> joined_{false};
  std::atomic<bool> store_ok_{true};

  // Consumer thread only.
  std::vector<platform::ConsumedRecord> pending_;
  std::chrono::steady_clock::time_point first_pending_at_{};
  std::map<std::int32_t, std::int64_t> positions_;  // next offset per assigned partition
  std::chrono::steady_clock::time_point next_lag_update_{};
};

}  // namespace orders::projection

#pragma once
// The consumer side of one stream: reads ORDERS_TOPIC in consumer group
// CONSUMER_GROUP, or INVENTORY_TOPIC in group <CONSUMER_GROUP>.<INVENTORY_TOPIC>
// (its own group, so a rebalance of one stream never stops the other), decodes records as they arrive into the next
// batch and hands batches to the BatchApplier, which writes each batch and its offsets in one PostgreSQL transaction on
// its own thread (batch_applier.hpp). Start offsets come from the read model's consumer_offsets on every assignment,
// never from Kafka.
//
// When the applier halts (the stored offsets moved under the consumer:
// commits lost in a database crash, another writer, a rebuilt read model
// switched in; or a batch was given up), the consumer leaves and rejoins the
// group, so every partition restarts from the offsets stored now.
//
// The loop runs on its own thread; Stop() hands over the pending batch, lets
// the applier commit it (giving up after 5 s) and closes the consumer.
//
// Writers: each store given is one *lane*, a BatchBuilder and a BatchApplier
// of its own. While the consumer trails the log's end by many records (a
// replay, a backlog) every lane writes, partition p going to lane
// p % lanes: the lanes write their partitions' batches in parallel, each on
// its own connection and fenced by its own partitions' stored offsets,
// exactly like a single writer; an order's events share a partition, so the
// lanes' rows never overlap, and their summary slots (a batch's lowest
// partition) differ. Live, the first lane alone writes every partition: the
// batches are small and a transaction's fixed cost would be paid once per
// lane. The width changes only with every lane drained and the positions
// read again from the store (Reassign), as on an assignment. The consumer
// thread decodes for all lanes.
//
// The stores (read_model_store.hpp) are shared with the appliers: the
// consumer thread reads positions from the first only after draining every
// lane.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <orders/platform/config.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/partition_offsets.hpp>
#include <orders/platform/result.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/batch_applier.hpp>
#include <orders/projection/batch_builder.hpp>
#include <orders/projection/projection_metrics.hpp>
#include <orders/projection/read_model_store.hpp>
#include <orders/projection/version_waiters.hpp>

namespace orders::projection {

class Projector : private platform::PartitionListener {
 public:
  // `stores` (at least one: one lane each) must outlive the projector; each
  // projector needs stores of its own (a store serves one caller at a time).
  Projector(const platform::ServiceConfig& config, std::vector<ReadModelStore*> stores, VersionWaiters& waiters,
            ProjectionMetrics& metrics, BatchPolicy policy = {}, Stream stream = Stream::kOrders);
  ~Projector() override;

  // Joins the consumer group and starts the loop; fails when the consumer cannot be created.
  platform::Result<void> Start();
  void Stop();

  // True once the group assigned partitions (possibly none) and the last
  // database operation succeeded.
  bool Healthy() const { return joined_.load() && StoreHealthy(); }
  // True while the last database operation succeeded, whether or not the group assigned anything
  // yet (a consumer of a topic that does not exist never joins).
  bool StoreHealthy() const;

 private:
  using Clock = std::chrono::steady_clock;

  // One writer: the batch being built for its partitions and the thread that applies them.
  struct Lane {
    Lane(ReadModelStore& store, VersionWaiters& waiters, ProjectionMetrics& metrics, BatchPolicy policy, Stream stream)
        : applier(store, waiters, metrics), builder(policy, stream) {}
    BatchApplier applier;
    BatchBuilder builder;  // consumer thread only
  };
  Lane& LaneOf(platform::Partition partition) { return *lanes_[static_cast<std::size_t>(partition) % width_]; }
  void DrainAll(Clock::time_point give_up);
  // Gives each lane in use its partitions of the assignment, fenced by `stored`.
  void AssignLanes(const std::vector<platform::Partition>& partitions, const StorePosition& stored);
  // Widens while the consumer trails the log's end by many records, narrows once it is close.
  void AdjustWidth(Clock::time_point now);
  // Drains every lane, re-reads the stored positions and writes with `width` lanes from now on.
  void Reassign(std::size_t width);

  platform::PartitionOffsets OnAssigned(const std::vector<platform::Partition>& partitions) override;
  void OnRevoked(const std::vector<platform::Partition>& partitions) override;

  platform::Result<void> Connect();  // a new consumer in the group
  void Run();
  // Everything pending is applied or given up by `give_up`.
  void Settle(Clock::time_point give_up);
  void Rejoin();
  void UpdateLag(Clock::time_point now);

  platform::ServiceConfig config_;
  std::string topic_;
  std::string group_;
  ReadModelStore& store_;  // the first lane's: stored offsets on assignment, read while every lane is drained
  ProjectionMetrics& metrics_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::unique_ptr<platform::KafkaConsumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> joined_{false};
  std::atomic<bool> offsets_ok_{true};

  // Consumer thread only.
  platform::PartitionOffsets positions_;  // next offset per assigned partition
  Clock::time_point next_lag_update_{};
  std::size_t width_ = 1;  // lanes in use
  Clock::time_point next_width_check_{};
};

}  // namespace orders::projection

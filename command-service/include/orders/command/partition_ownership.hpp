#pragma once
// One writer per partition across command-service instances. Every instance
// joins the consumer group "<CONSUMER_GROUP>.<topic>" on the event topic
// (membership only: it fetches nothing); Kafka's group protocol gives each
// partition to exactly one member. An instance writes an order's events only
// when it owns the order's partition AND its log follower has read that
// partition up to the end offset seen when the partition was assigned (so it
// decides on the latest state the previous owner left). On revocation it
// stops taking commands for the partition and waits for its in-flight appends
// before letting the group hand the partition on.
//
// Limits: a member that is paused past the session timeout (a zombie) and then
// resumes may still write before it notices it lost the partition; the log
// follower then reports the resulting gap or duplicate as an anomaly
// (orders_command_log_anomalies_total). Transactional fencing would close it.

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <orders/command/log_follower.hpp>
#include <orders/platform/kafka_consumer.hpp>

namespace orders::command {

class PartitionOwnership : private platform::PartitionListener {
 public:
  // `in_flight(partition)` counts this instance's appends not yet acknowledged.
  PartitionOwnership(platform::KafkaSettings settings, std::string topic, const LogFollower& follower,
                     std::function<std::int64_t(platform::Partition)> in_flight);
  ~PartitionOwnership() override;

  // The client id of this instance's membership, which tells other instances
  // where to forward its orders (writer_directory.hpp). Before Start.
  void Advertise(std::string client_id) { settings_.client_id = std::move(client_id); }
  void Start();
  void Stop();

  // The partition of `order_id` when this instance may write it now.
  std::optional<platform::Partition> WritablePartition(const std::string& order_id) const;
  bool MayWrite(platform::Partition partition) const;
  // A new order's id (partitioning.hpp NewOrderId): in the key's partition, or in one this instance may write.
  std::string NewOrderId(const std::optional<std::string>& idempotency_key) const;
  std::size_t OwnedCount() const;
  // Owns at least one partition and has caught up on every one it owns.
  bool ReadyToWrite() const;

 private:
  platform::PartitionOffsets OnAssigned(const std::vector<platform::Partition>& partitions) override;
  void OnRevoked(const std::vector<platform::Partition>& partitions) override;
  // A consumer in the writer group (membership only), or why not yet.
  platform::Result<std::unique_ptr<platform::KafkaConsumer>> JoinWriterGroup();
  void Run();
  void ResolveUnknownEnds();

  static constexpr platform::Offset kUnknownEnd = -1;

  platform::KafkaSettings settings_;
  std::string topic_;
  const LogFollower& follower_;
  std::function<std::int64_t(platform::Partition)> in_flight_;
  std::unique_ptr<platform::KafkaConsumer> consumer_;
  mutable std::mutex mutex_;
  platform::PartitionOffsets owned_;  // the offset the follower must reach first
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace orders::command

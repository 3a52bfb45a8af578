#pragma once
// Composition root of the command service: wires config, Kafka producer,
// log follower, order book, processor and HTTP API (and the same parts for
// the inventory stream); owns their lifetimes and
// the graceful stop order.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include <orders/command/retention_config.hpp>
#include <orders/platform/config.hpp>
#include <orders/platform/result.hpp>

namespace orders::command {

class CommandService {
 public:
  explicit CommandService(platform::ServiceConfig config);
  ~CommandService();

  // The bound HTTP port, or why the service cannot run.
  platform::Result<std::uint16_t> Start();
  // Stops accepting, lets in-flight commands finish, flushes the producer.
  void Stop();

 private:
  struct Parts;
  // COMMAND_STATE_DIR: opens the store (an error stops the start) and keeps the orders fold in it.
  platform::Result<void> OpenStateStore(const RetentionConfig& retention);
  void StartInventory();
  void StartWorkflow();
  // ADVERTISED_URL, or http://<bind address, 127.0.0.1 for any>:<port>.
  std::string AdvertisedUrl(std::uint16_t port) const;
  // The consumer group whose members write `topic`'s partitions (one per stream).
  std::string WriterGroupOf(const std::string& topic) const { return config_.consumer_group + "." + topic; }
  platform::ServiceConfig config_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace orders::command

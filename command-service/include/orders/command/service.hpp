#pragma once
// Composition root of the command service: wires config, Kafka producer,
// log follower, order book, processor and HTTP API; owns their lifetimes and
// the graceful stop order.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include <orders/platform/config.hpp>

namespace orders::command {

class CommandService {
 public:
  explicit CommandService(platform::ServiceConfig config);
  ~CommandService();

  // Returns false with a logged, human-readable reason on a fatal start error.
  bool Start();
  std::uint16_t port() const { return port_; }
  // Stops accepting, lets in-flight commands finish, flushes the producer.
  void Stop();

 private:
  struct Parts;
  platform::ServiceConfig config_;
  std::unique_ptr<Parts> parts_;
  std::uint16_t port_ = 0;
};

}  // namespace orders::command

#pragma once
// Composition root of the notifier: HTTP (page, health, metrics, /ws upgrade)
// on one io thread shared with the hub, and the log feed on its own thread.

#include <cstdint>
#include <memory>

#include <orders/platform/config.hpp>
#include <orders/platform/result.hpp>

namespace orders::notifier {

class NotifierService {
 public:
  explicit NotifierService(platform::ServiceConfig config);
  ~NotifierService();

  platform::Result<std::uint16_t> Start();
  // Closes every WebSocket with 1001 (going away), stops the feed and the server.
  void Stop();

 private:
  struct Parts;
  platform::ServiceConfig config_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace orders::notifier

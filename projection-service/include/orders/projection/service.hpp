#pragma once
// The projection-service's composition root: migrations, the consumer
// (Projector), the HTTP server with the query API and operational routes.
// Start() returns the bound HTTP port; Stop() is the graceful shutdown: stop
// HTTP, finish and commit the pending batch, close the consumer.

#include <cstdint>
#include <memory>

#include <orders/platform/config.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/result.hpp>

namespace orders::projection {

class ProjectionService {
 public:
  explicit ProjectionService(platform::ServiceConfig config);
  ~ProjectionService();

  platform::Result<std::uint16_t> Start();
  void Stop();

 private:
  struct Parts;
  platform::ServiceConfig config_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace orders::projection

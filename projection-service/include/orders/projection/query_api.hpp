#pragma once
// The query API's routes. Each handler parses and validates its parameters
// (query_params.hpp), calls the read model (ReadModelReader) and maps the
// result to JSON; a read model that does not answer is a 503 problem with
// Retry-After, never internal text. Handlers run on the HTTP server's threads.
//
// GET /orders/{id}?minVersion=N does not block a server thread while it waits
// (VersionWait, version_wait.hpp): its continuations run on the server's
// io_context.

#include <asio.hpp>
#include <chrono>
#include <string>

#include <orders/domain/access.hpp>
#include <orders/platform/access.hpp>
#include <orders/platform/authenticator.hpp>
#include <orders/platform/restinio/router.hpp>
#include <orders/projection/projection_metrics.hpp>
#include <orders/projection/read_model_reader.hpp>
#include <orders/projection/version_waiters.hpp>

namespace orders::projection {

struct QueryApiDeps {
  ReadModelReader& queries;
  VersionWaiters& waiters;
  asio::io_context& io_context;
  std::chrono::milliseconds max_wait{5000};
  // With auth on, every route needs a token (Authorization header). The
  // permission table (domain/access.hpp): customers read only their own
  // orders (another customer's is 404, as if it did not exist); couriers the
  // orders assigned to them and the open deliveries; neither reads reports or the inventory;
  // staff and service read everything. Auth off: every caller is staff.
  std::shared_ptr<const platform::Authenticator> authenticator;
  // Counts the streamed CSV exports; none without it (tests).
  ProjectionMetrics* metrics = nullptr;
};

void AddQueryRoutes(platform::http::Router& router, QueryApiDeps deps);

// The caller as the permission table sees it; with auth off (no principal), staff.
domain::Actor ActorOf(const platform::Access& access);
// Limits a list to what the caller may see: a customer's to its own orders, a
// courier's to its own deliveries (the filter forced when absent); naming
// another customer or courier is the returned 403.
std::optional<platform::Problem> LimitToCaller(const domain::Actor& actor, ListQuery& query);

// JSON shapes, exposed for tests.
nlohmann::json OrderViewToJson(const OrderView& view);
nlohmann::json OrderPageToJson(const OrderPage& page, CursorList list = CursorList::kOrders);
// {"items": [{productId, onHand, reserved, available, version, updatedAt}], "nextCursor"}
nlohmann::json InventoryPageToJson(const InventoryPage& page);
// {"couriers": [{"courierId", "deliveries", "medianMinutesToDeliver"}]}
nlohmann::json CourierReportToJson(const std::vector<CourierReportRow>& couriers);

}  // namespace orders::projection

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

#include <orders/platform/authenticator.hpp>
#include <orders/platform/restinio/router.hpp>
#include <orders/projection/read_model_reader.hpp>
#include <orders/projection/version_waiters.hpp>

namespace orders::projection {

struct QueryApiDeps {
  ReadModelReader& queries;
  VersionWaiters& waiters;
  asio::io_context& io_context;
  std::chrono::milliseconds max_wait{5000};
  // With auth on, every route needs a token (Authorization header): customers
  // read only their own orders (another customer's is 404, as if it did not
  // exist) and no reports; staff and service read everything.
  std::shared_ptr<const platform::Authenticator> authenticator;
};

void AddQueryRoutes(platform::http::Router& router, QueryApiDeps deps);

// JSON shapes, exposed for tests.
nlohmann::json OrderViewToJson(const OrderView& view);
nlohmann::json OrderPageToJson(const OrderPage& page);

}  // namespace orders::projection

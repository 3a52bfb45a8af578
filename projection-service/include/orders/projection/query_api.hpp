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

#include <orders/platform/restinio/router.hpp>
#include <orders/projection/read_model_reader.hpp>
#include <orders/projection/version_waiters.hpp>

namespace orders::projection {

struct QueryApiDeps {
  ReadModelReader& queries;
  VersionWaiters& waiters;
  asio::io_context& io_context;
  std::chrono::milliseconds max_wait{5000};
  // With a secret, every route needs a token: customers read only their own
  // orders (403 otherwise) and no reports; staff and service read everything.
  std::string jwt_secret;
};

void AddQueryRoutes(platform::http::Router& router, QueryApiDeps deps);

// JSON shapes, exposed for tests.
nlohmann::json OrderViewToJson(const OrderView& view);
nlohmann::json OrderPageToJson(const OrderPage& page);

}  // namespace orders::projection

#pragma once
// The command API: one function per route, each parsing the request, calling
// the processor and mapping the result (http_answer.hpp). Commands answer
// asynchronously: the handler returns at once and the answer is sent from the
// Kafka delivery thread. Served by the platform's Pistache glue
// (orders/platform/pistache/) behind the GuardedHandler, which frames
// requests itself; the glue catches everything, so no internal text ever
// reaches a client.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <orders/command/command_processor.hpp>
#include <orders/command/inventory_processor.hpp>
#include <orders/command/order_book.hpp>
#include <orders/platform/authenticator.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/origin_policy.hpp>
#include <orders/platform/rate_limiter.hpp>
#include <orders/platform/result.hpp>

#include "command_forwarder.hpp"

namespace orders::command {

struct HttpApiDeps {
  CommandProcessor& processor;
  OrderBook& book;
  InventoryProcessor& inventory;
  StockBook& stocks;
  // The inventory stream rebuilt: its GETs answer 503 until then (its writes
  // are refused by the processor until this instance owns the product's partition).
  std::function<bool()> inventory_ready;
  platform::MetricsRegistry& metrics;
  std::function<bool()> ready;  // state rebuilt and Kafka reachable
  // Browser origins (CORS) and host names allowed to call the API.
  platform::OriginRules origins;
  // With auth on, every /orders route needs a token of a known role; what the
  // role may do is the permission table's (orders/domain/access.hpp).
  std::shared_ptr<const platform::Authenticator> authenticator;
  platform::RateLimitSettings rate_limits;
  std::size_t max_connections = 1024;
  // Commands and reads for orders another instance writes go there
  // (command_forwarder.hpp); null: refused with 503 as not this instance's.
  std::shared_ptr<CommandForwarder> forwarder;
  std::function<bool(const std::string& order_id)> writes_order;
  // The same for stock levels: commands and reads for products another instance writes.
  std::shared_ptr<CommandForwarder> inventory_forwarder;
  std::function<bool(const std::string& product_id)> writes_product;
};

class HttpApi {
 public:
  explicit HttpApi(HttpApiDeps deps);
  ~HttpApi();

  // Binds and starts serving; the bound port (useful with port 0) or why not.
  platform::Result<std::uint16_t> Start(const std::string& address, std::uint16_t port);
  // Graceful stop, first half: from now on every request is refused with 503
  // and `Connection: close`; waits up to `grace` for the answers of commands
  // already accepted. False when some were still unanswered at the end.
  bool Drain(std::chrono::milliseconds grace);
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orders::command

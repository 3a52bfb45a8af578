#pragma once
// The command API over Pistache 0.0.5: routes, request limits and timeouts,
// and the async hand-off (a handler returns at once; the answer is sent from
// the Kafka delivery thread). Handlers only parse, call the processor and map
// the result (http_answer.hpp); every handler catches everything, so no
// internal text ever reaches a client.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <orders/command/command_processor.hpp>
#include <orders/command/order_book.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

struct HttpApiDeps {
  CommandProcessor& processor;
  OrderBook& book;
  platform::MetricsRegistry& metrics;
  std::function<bool()> ready;  // state rebuilt and Kafka reachable
  // Browser origins allowed to call the API (CORS); empty: any origin.
  std::vector<std::string> allowed_origins;
  // With a secret, every /orders route needs a staff or service token.
  std::string jwt_secret;
};

class HttpApi {
 public:
  explicit HttpApi(HttpApiDeps deps);
  ~HttpApi();

  // Binds and starts serving; returns the bound port (useful with port 0).
  std::uint16_t Start(const std::string& address, std::uint16_t port);
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orders::command

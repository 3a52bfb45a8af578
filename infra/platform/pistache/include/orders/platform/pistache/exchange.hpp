#pragma once
// The response side of one request. A synchronous handler responds before
// returning; an asynchronous one keeps the shared_ptr and responds later from
// any thread. The first Respond() wins; an Exchange dropped without an answer
// sends a 500 problem, so no path leaves a client hanging. Every answer is
// counted in the route's metrics before it is sent, so a client that saw the
// answer sees it counted.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <pistache/http.h>
#include <pistache/router.h>

#include <orders/platform/jwt.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/pistache/answer.hpp>

namespace orders::platform::pistache_http {

// Requests and answers of one route: latency, and counts by status.
class RouteMetrics {
 public:
  RouteMetrics(MetricsRegistry& registry, std::string route);
  void Record(int status, std::chrono::steady_clock::time_point started);

 private:
  Counter& CounterFor(int status);

  MetricsRegistry& registry_;
  std::string route_;
  Histogram& latency_;
  std::mutex mutex_;
  std::map<int, Counter*> by_status_;
};

// Queues the answer to `peer`'s current request; `send` writes it. The
// server's front handler decides when the connection's next request may go on.
using AnswerQueue =
    std::function<void(const std::weak_ptr<Pistache::Tcp::Peer>& peer, const std::function<void()>& send)>;

class Exchange {
 public:
  Exchange(Pistache::Http::ResponseWriter writer, std::shared_ptr<RouteMetrics> metrics, AnswerQueue queue);
  ~Exchange();

  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Added to whatever answer is sent (CORS).
  void AddHeader(std::string name, std::string value);
  // `written` (any shared object) is held until the answer has left for the
  // socket or failed to: Pistache writes on its reactor thread, after
  // Respond returns, so whoever must not stop the endpoint before the bytes
  // are out (a graceful stop) waits for its last copy to go.
  bool Respond(const Answer& answer, std::shared_ptr<const void> written = nullptr);

  // Who the access guard let through (nullopt on open routes and with auth
  // off), so that handlers apply per-caller rules without verifying the token again.
  void SetCaller(std::optional<Principal> caller) { caller_ = std::move(caller); }
  const std::optional<Principal>& caller() const { return caller_; }

 private:
  // The answer's headers: its content type, then those added to the writer (CORS, Connection, named ones).
  HeaderList WrittenHeaders(const std::string& content_type);

  Pistache::Http::ResponseWriter writer_;
  std::shared_ptr<RouteMetrics> metrics_;
  AnswerQueue queue_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> responded_{false};
  std::optional<Principal> caller_;
};

using ExchangePtr = std::shared_ptr<Exchange>;

// A request header's value, when present.
std::optional<std::string> HeaderValue(const Pistache::Rest::Request& request, std::string_view name);

}  // namespace orders::platform::pistache_http

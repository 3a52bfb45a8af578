#pragma once
// A small router: routes are (method, pattern) where a pattern is a path whose
// segments are literals or `{name}` captures, e.g. "/orders/{id}". Matching is
// exact on the number of segments. A path no pattern matches gets a 404
// problem; a path that matches with another method gets a 405 problem with an
// `Allow` header. Each pattern has its own request metrics, labelled with the
// pattern (never with the raw path, to keep label cardinality bounded).
//
// Routes are added before the server starts; Dispatch() is then thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <orders/platform/metrics.hpp>
#include <orders/platform/restinio/exchange.hpp>

namespace orders::platform::http {

using Handler = std::function<void(const ExchangePtr&)>;

// Requests and latency per route; status counters are created on first use.
class RouteMetrics {
 public:
  RouteMetrics(MetricsRegistry& registry, std::string route);
  void Record(std::string_view method, int status, std::chrono::steady_clock::duration elapsed);

 private:
  MetricsRegistry& registry_;
  std::string route_;
  Histogram& latency_;
  std::mutex mutex_;
  std::map<std::pair<std::string, int>, Counter*> counters_;
};

class Router {
 public:
  explicit Router(MetricsRegistry& registry);

  void Add(restinio::http_method_id_t method, const std::string& pattern, Handler handler);

  // Routes the request; exceptions from handlers become a 500 problem
  // (their text is logged, never sent).
  restinio::request_handling_status_t Dispatch(restinio::request_handle_t request) const;

 private:
  struct Route {
    restinio::http_method_id_t method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    std::shared_ptr<RouteMetrics> metrics;
  };

  MetricsRegistry& registry_;
  std::vector<Route> routes_;
  std::map<std::string, std::shared_ptr<RouteMetrics>> metrics_by_pattern_;
  std::shared_ptr<RouteMetrics> unmatched_metrics_;
};

// Splits "/a/b/" into {"a", "b"}; exposed for tests.
std::vector<std::string> SplitPath(std::string_view path);

}  // namespace orders::platform::http

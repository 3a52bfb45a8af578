#pragma once
// A small router: routes are (method, pattern) where a pattern is a path whose
// segments are literals or `{name}` captures, e.g. "/orders/{id}". Matching is
// exact on the number of segments. A path no pattern matches gets a 404
// problem; a path that matches with another method gets a 405 problem with an
// `Allow` header. Each pattern has its own request metrics, labelled with the
// pattern (never with the raw path, to keep label cardinality bounded).
//
// Before routing (edge policy): a request over the MessageLimits gets 414,
// 431 or 413; a method this service does not know (QUERY,
// PROPFIND, ...) gets a 501 problem; the origin policy (origin_policy.hpp)
// refuses a foreign Origin, or a foreign Host while auth is off, with 403 on
// every path; OPTIONS on a known path answers a CORS preflight allowing that
// path's methods only; answers to an allowed origin carry CORS headers.
// TRACE is never echoed: 405 with `Allow` on a known path, else 404.
//
// Routes are added before the server starts; Dispatch() is then thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <orders/platform/caller_limiter.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/origin_policy.hpp>
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

struct EdgePolicy {
  OriginRules origins;                                        // default: no Origin allowed, any Host
  std::string allow_headers = "Authorization, Content-Type";  // preflight answer
  std::string expose_headers = "ETag, Retry-After, RateLimit, RateLimit-Policy";
  // Applied by Exchange::Authorize; null: no rate limit.
  std::shared_ptr<CallerLimiter> limiter;
};

// The largest request a service takes. RESTinio closes the connection with
// no answer past its own limits, so the server gives it room above these
// (kParserRoom times) and the edge answers what lies in between: 414 for the
// target, 431 for header fields, 413 for the body, as problem+json.
struct MessageLimits {
  std::size_t url = 8 * 1024;
  std::size_t field = 8 * 1024;  // a header field's name or value
  std::size_t field_count = 100;
  std::uint64_t body = 64 * 1024;
  static constexpr std::size_t kParserRoom = 4;
};

class Router {
 public:
  explicit Router(MetricsRegistry& registry, EdgePolicy edge = {});

  void Add(restinio::http_method_id_t method, const std::string& pattern, Handler handler);

  // Routes the request; exceptions from handlers become a 500 problem
  // (their text is logged, never sent).
  restinio::request_handling_status_t Dispatch(restinio::request_handle_t request,
                                               const MessageLimits& limits = {}) const;

 private:
  struct Route {
    restinio::http_method_id_t method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    std::shared_ptr<RouteMetrics> metrics;
  };

  // Answers 501 / 403 / a preflight when the edge policy decides; false then.
  bool PassesEdge(restinio::request_handle_t& request, const std::vector<std::string>& path, HeaderList& cors_headers,
                  const MessageLimits& limits) const;

  MetricsRegistry& registry_;
  EdgePolicy edge_;
  std::vector<Route> routes_;
  std::map<std::string, std::shared_ptr<RouteMetrics>> metrics_by_pattern_;
  std::shared_ptr<RouteMetrics> unmatched_metrics_;
};

// Splits "/a/b/" into {"a", "b"}; exposed for tests.
std::vector<std::string> SplitPath(std::string_view path);

}  // namespace orders::platform::http

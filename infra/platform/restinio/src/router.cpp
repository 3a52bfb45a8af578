#include <orders/platform/restinio/router.hpp>

#include <exception>

#include <orders/platform/log.hpp>

namespace orders::platform::http {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

RouteMetrics::RouteMetrics(MetricsRegistry& registry, std::string route)
    : registry_(registry),
      route_(std::move(route)),
      latency_(registry.AddHistogram("http_request_duration_seconds", "HTTP request latency by route", LatencyBuckets(),
                                     {{"route", route_}})) {}

void RouteMetrics::Record(std::string_view method, int status, std::chrono::steady_clock::duration elapsed) {
  latency_.Observe(std::chrono::duration<double>(elapsed).count());
  Counter* counter = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(std::string(method), status);
    auto it = counters_.find(key);
    if (it == counters_.end()) {
      // Bounded: methods x statuses this route can answer.
      counter = &registry_.AddCounter("http_requests_total", "HTTP requests by route, method and status",
                                      {{"route", route_}, {"method", key.first}, {"status", std::to_string(status)}});
      counters_.emplace(std::move(key), counter);
    } else {
      counter = it->second;
    }
  }
  counter->Inc();
}

Router::Router(MetricsRegistry& registry)
    : registry_(registry), unmatched_metrics_(std::make_shared<RouteMetrics>(registry, "unmatched")) {}

void Router::Add(restinio::http_method_id_t method, const std::string& pattern, Handler handler) {
  auto& metrics = metrics_by_pattern_[pattern];
  if (!metrics) metrics = std::make_shared<RouteMetrics>(registry_, pattern);
  routes_.push_back(Route{method, pattern, SplitPath(pattern), std::move(handler), metrics});
}

namespace {

bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::map<std::string, std::string>& captures) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& segment = pattern[i];
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
      captures[segment.substr(1, segment.size() - 2)] = path[i];
    } else if (segment != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

restinio::request_handling_status_t Router::Dispatch(restinio::request_handle_t request) const {
  const auto path = SplitPath(request->header().path());
  const auto method = request->header().method();
  std::string allowed;
  std::shared_ptr<RouteMetrics> path_metrics;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> captures;
    if (!Matches(route.segments, path, captures)) continue;
    if (route.method != method) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(route.method.c_str());
      path_metrics = route.metrics;
      continue;
    }
    auto exchange = std::make_shared<Exchange>(std::move(request), std::move(captures), route.metrics);
    try {
      route.handler(exchange);
    } catch (const std::exception& error) {
      LogError("http handler failed", {{"route", route.pattern}, {"error", error.what()}});
      exchange->RespondProblem(InternalProblem());
    } catch (...) {
      LogError("http handler failed", {{"route", route.pattern}});
      exchange->RespondProblem(InternalProblem());
    }
    return restinio::request_accepted();
  }
  if (!allowed.empty()) {
    Exchange exchange(std::move(request), {}, path_metrics);
    exchange.RespondProblem(MethodNotAllowedProblem("This resource supports " + allowed + "."), {{"Allow", allowed}});
    return restinio::request_accepted();
  }
  Exchange exchange(std::move(request), {}, unmatched_metrics_);
  exchange.RespondProblem(NotFoundProblem());
  return restinio::request_accepted();
}

}  // namespace orders::platform::http

#include <orders/platform/restinio/router.hpp>

#include <exception>

#include <orders/platform/log.hpp>
#include <orders/platform/restinio/method_rewriter.hpp>

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

Router::Router(MetricsRegistry& registry, EdgePolicy edge)
    : registry_(registry),
      edge_(std::move(edge)),
      unmatched_metrics_(std::make_shared<RouteMetrics>(registry, "unmatched")) {}

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

std::optional<std::string_view> FieldOf(const restinio::request_t& request, restinio::http_field_t field) {
  if (!request.header().has_field(field)) return std::nullopt;
  return std::string_view(request.header().get_field(field));
}

std::optional<Problem> OversizedPart(const restinio::request_t& request, const MessageLimits& limits) {
  if (request.header().request_target().size() > limits.url) {
    return Problem{
        414, "URI Too Long", "The request target is longer than " + std::to_string(limits.url) + " bytes.", {}, {}};
  }
  std::size_t fields = 0;
  bool field_too_long = false;
  request.header().for_each_field([&](const restinio::http_header_field_t& field) {
    ++fields;
    field_too_long = field_too_long || field.name().size() > limits.field || field.value().size() > limits.field;
  });
  if (fields > limits.field_count || field_too_long) {
    return Problem{431,
                   "Request Header Fields Too Large",
                   "At most " + std::to_string(limits.field_count) + " header fields of at most " +
                       std::to_string(limits.field) + " bytes each are accepted.",
                   {},
                   {}};
  }
  if (request.body().size() > limits.body) {
    return Problem{
        413, "Payload Too Large", "The body is larger than " + std::to_string(limits.body) + " bytes.", {}, {}};
  }
  return std::nullopt;
}

}  // namespace

bool Router::PassesEdge(restinio::request_handle_t& request, const std::vector<std::string>& path,
                        HeaderList& cors_headers, const MessageLimits& limits) const {
  if (auto oversized = OversizedPart(*request, limits)) {
    Exchange(std::move(request), {}, unmatched_metrics_).RespondProblem(*oversized);
    return false;
  }
  const std::string_view method = request->header().method().c_str();
  if (!IsHttpApiMethod(method)) {
    Exchange(std::move(request), {}, unmatched_metrics_)
        .RespondProblem({501, "Not Implemented", "This method is not supported by this service.", {}, {}});
    return false;
  }
  const auto decision = CheckOrigin(edge_.origins, FieldOf(*request, restinio::http_field::origin),
                                    FieldOf(*request, restinio::http_field::host));
  if (!decision.allowed) {
    Exchange(std::move(request), {}, unmatched_metrics_).RespondProblem(decision.refusal);
    return false;
  }
  if (decision.cors_origin) {
    cors_headers = {{"Access-Control-Allow-Origin", *decision.cors_origin},
                    {"Vary", "Origin"},
                    {"Access-Control-Expose-Headers", edge_.expose_headers}};
  }
  if (method != "OPTIONS") return true;
  std::string allowed;
  std::shared_ptr<RouteMetrics> metrics = unmatched_metrics_;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> captures;
    if (!Matches(route.segments, path, captures)) continue;
    allowed += (allowed.empty() ? "" : ", ") + std::string(route.method.c_str());
    metrics = route.metrics;
  }
  Exchange exchange(std::move(request), {}, metrics);
  if (allowed.empty()) {
    exchange.RespondProblem(NotFoundProblem());
    return false;
  }
  HeaderList headers = cors_headers;
  headers.insert(headers.end(), {{"Allow", allowed + ", OPTIONS"},
                                 {"Access-Control-Allow-Methods", allowed},
                                 {"Access-Control-Allow-Headers", edge_.allow_headers},
                                 {"Access-Control-Max-Age", "600"}});
  exchange.RespondText(204, "text/plain", "", headers);
  return false;
}

restinio::request_handling_status_t Router::Dispatch(restinio::request_handle_t request,
                                                     const MessageLimits& limits) const {
  const auto path = SplitPath(request->header().path());
  HeaderList cors_headers;
  if (!PassesEdge(request, path, cors_headers, limits)) return restinio::request_accepted();
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
    for (const auto& [name, value] : cors_headers) exchange->AddHeader(name, value);
    exchange->SetLimiter(edge_.limiter);
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
    for (const auto& [name, value] : cors_headers) exchange.AddHeader(name, value);
    exchange.RespondProblem(MethodNotAllowedProblem("This resource supports " + allowed + "."), {{"Allow", allowed}});
    return restinio::request_accepted();
  }
  Exchange exchange(std::move(request), {}, unmatched_metrics_);
  for (const auto& [name, value] : cors_headers) exchange.AddHeader(name, value);
  exchange.RespondProblem(NotFoundProblem());
  return restinio::request_accepted();
}

}  // namespace orders::platform::http

#include <orders/platform/pistache/exchange.hpp>

#include <strings.h>

#include <sstream>

#include <pistache/peer.h>

#include <orders/platform/log.hpp>

namespace orders::platform::pistache_http {

using namespace Pistache;
using Clock = std::chrono::steady_clock;

namespace {

// Pistache 0.0.5 writes only typed response headers; this one carries any
// name and value.
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& stream) const override { stream << value_; }
  const std::string& value() const { return value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return std::hash<std::string>{}(name_); }
#endif

 private:
  std::string name_;
  std::string value_;
};

}  // namespace

RouteMetrics::RouteMetrics(MetricsRegistry& registry, std::string route)
    : registry_(registry),
      route_(std::move(route)),
      latency_(registry.AddHistogram("orders_http_request_seconds", "HTTP request latency", LatencyBuckets(),
                                     {{"route", route_}})) {}

void RouteMetrics::Record(int status, Clock::time_point started) {
  latency_.Observe(std::chrono::duration<double>(Clock::now() - started).count());
  CounterFor(status).Inc();
}

Counter& RouteMetrics::CounterFor(int status) {
  std::lock_guard lock(mutex_);
  auto it = by_status_.find(status);
  if (it == by_status_.end()) {
    // Bounded: the statuses this route can answer.
    it = by_status_
             .emplace(status, &registry_.AddCounter("orders_http_requests_total", "HTTP requests",
                                                    {{"route", route_}, {"status", std::to_string(status)}}))
             .first;
  }
  return *it->second;
}

Exchange::Exchange(Http::ResponseWriter writer, std::shared_ptr<RouteMetrics> metrics, AnswerQueue queue)
    : writer_(std::move(writer)), metrics_(std::move(metrics)), queue_(std::move(queue)), started_(Clock::now()) {}

Exchange::~Exchange() {
  if (!responded_.load()) Respond(ProblemAnswer(InternalProblem()));
}

void Exchange::AddHeader(std::string name, std::string value) {
  if (strcasecmp(name.c_str(), "Connection") == 0) {
    // Replaces the one the connection handler set from the request: one Connection header only.
    writer_.headers().remove<Http::Header::Connection>();
    writer_.headers().add<Http::Header::Connection>(
        strcasecmp(value.c_str(), "close") == 0 ? Http::ConnectionControl::Close : Http::ConnectionControl::KeepAlive);
    return;
  }
  writer_.headers().add(std::make_shared<NamedHeader>(std::move(name), std::move(value)));
}

bool Exchange::Respond(const Answer& answer, std::shared_ptr<const void> written) {
  if (responded_.exchange(true)) return false;
  try {
    metrics_->Record(answer.status, started_);
    for (const auto& [name, value] : answer.headers) AddHeader(name, value);
    std::string wire = WireResponse(answer.status, Http::codeString(static_cast<Http::Code>(answer.status)),
                                    WrittenHeaders(answer.content_type), answer.body);
    // Not ResponseWriter::send: its promise is a chained one, which Pistache
    // 0.0.5 resolves without taking the promise's lock, so a continuation
    // attached from this thread (an answer comes from any thread) while the
    // reactor resolves it corrupts the continuation list (a crash under load).
    // A raw write's promise is resolved under that lock.
    const auto send = [&] {
      auto peer = writer_.getPeer();
      if (!peer) return;  // the client has gone
      peer->setIdle(true);
      const std::size_t size = wire.size();
      peer->send(RawBuffer(std::move(wire), size)).then([written](ssize_t) {}, [written](std::exception_ptr) {});
    };
    if (queue_) {
      queue_(writer_.getPeer(), send);
    } else {
      send();
    }
    return true;
  } catch (const std::exception& error) {
    LogWarn("could not send an answer", {{"error", error.what()}});
    return false;
  }
}

HeaderList Exchange::WrittenHeaders(const std::string& content_type) {
  HeaderList headers;
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  std::ostringstream typed;  // one stream for Pistache's typed headers (a stream each cost 2% of the service's CPU)
  for (const auto& header : writer_.headers().list()) {
    if (const auto* named = dynamic_cast<const NamedHeader*>(header.get())) {
      headers.emplace_back(named->name(), named->value());
      continue;
    }
    typed.str({});
    header->write(typed);
    headers.emplace_back(header->name(), typed.str());
  }
  return headers;
}

std::optional<std::string> HeaderValue(const Rest::Request& request, std::string_view name) {
  auto raw = request.headers().tryGetRaw(std::string(name));
  if (!raw) return std::nullopt;
  return raw->value();
}

}  // namespace orders::platform::pistache_http

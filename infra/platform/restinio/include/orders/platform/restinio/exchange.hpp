#pragma once
// One HTTP request and its (single) response. Handlers get a shared_ptr to an
// Exchange; a synchronous handler responds before returning, an asynchronous
// one keeps the pointer and responds later from any thread. Exactly one
// response is sent: the first Respond*() wins, later calls return false.
// An Exchange destroyed without a response answers 500, so a forgotten path
// never leaves a client hanging.
//
// Every response is counted in the route's metrics (see RouteMetrics).
// Thread-safety: Respond*() may be called from any thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/platform/access.hpp>
#include <orders/platform/caller_limiter.hpp>
#include <orders/platform/problem.hpp>
#include <restinio/all.hpp>

namespace orders::platform::http {

class RouteMetrics;

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryParams = std::map<std::string, std::string>;

// A response whose body goes out in chunks (Transfer-Encoding: chunked), for
// bodies too large to hold in memory. The status line and headers leave with
// the first chunk. Each Write's `written` is called once, on a server thread,
// with true when the chunk reached the socket and false when the connection
// is gone (closed by the client, or cut by the server's write timeout after a
// stalled write): the caller writes the next chunk only after `written`, which
// bounds what a response holds to one chunk. Not thread-safe: one Write, then
// Finish or Abandon, at a time.
class ChunkedResponse {
 public:
  using Written = std::function<void(bool written)>;

  explicit ChunkedResponse(restinio::response_builder_t<restinio::chunked_output_t> builder)
      : builder_(std::move(builder)) {}

  void Write(std::string chunk, Written written);
  // The terminating chunk: the client sees a complete body.
  void Finish();
  // Ends the response without its terminating chunk, so the client sees a
  // truncated transfer rather than a body that looks complete; the connection
  // stays unanswered until the server's request timeout closes it.
  void Abandon();

 private:
  std::optional<restinio::response_builder_t<restinio::chunked_output_t>> builder_;
};

class Exchange {
 public:
  Exchange(restinio::request_handle_t request, std::map<std::string, std::string> route_params,
           std::shared_ptr<RouteMetrics> metrics);
  ~Exchange();

  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const restinio::request_t& request() const { return *request_; }
  // A `{name}` segment of the route pattern, percent-decoding not applied.
  std::string RouteParam(const std::string& name) const;
  // The decoded query parameters; nullopt when the query string is malformed
  // or a parameter appears twice.
  std::optional<QueryParams> Query() const;

  // Whether ?access_token= may carry the token: only where a browser cannot
  // set headers (WebSocket upgrades); elsewhere tokens stay out of URLs, which
  // end up in logs and histories.
  enum class QueryToken { kRefused, kAccepted };
  // Checks the request's token (platform/access.hpp), then the caller's rate
  // limit (when the router has one): over the limit it answers 429 (before any
  // 401/403, so floods of bad tokens are limited too); when access is refused
  // it answers 401 (with the Bearer challenge) or 403. nullopt when answered.
  std::optional<Access> Authorize(const Authenticator& authenticator, std::initializer_list<Role> allowed,
                                  QueryToken query_token = QueryToken::kRefused);

  // Set by the router: headers added to whatever answer is sent (CORS), and
  // the limiter Authorize applies.
  void AddHeader(std::string name, std::string value) {
    extra_headers_.emplace_back(std::move(name), std::move(value));
  }
  void SetLimiter(std::shared_ptr<platform::CallerLimiter> limiter) { limiter_ = std::move(limiter); }
  // The headers added so far, for an answer written on a taken connection (a stream).
  const HeaderList& added_headers() const { return extra_headers_; }

  bool RespondJson(int status, const nlohmann::json& body, const HeaderList& headers = {});
  bool RespondProblem(const Problem& problem, const HeaderList& headers = {});
  bool RespondText(int status, std::string content_type, std::string body, const HeaderList& headers = {});
  // Starts a chunked answer (counted in the metrics with `status` now);
  // nullptr when the exchange was already answered.
  std::shared_ptr<ChunkedResponse> RespondChunked(int status, std::string content_type, const HeaderList& headers = {});
  bool responded() const { return responded_.load(); }

  // For a protocol upgrade (WebSocket): the request handle, so its connection
  // can be taken from RESTinio. The exchange then counts as answered with
  // `status` (101) in the metrics; nothing else may be sent through it.
  restinio::request_handle_t TakeForUpgrade(int status);

 private:
  Access CheckCaller(const Authenticator& authenticator, std::initializer_list<Role> allowed,
                     QueryToken query_token) const;

  restinio::request_handle_t request_;
  std::map<std::string, std::string> route_params_;
  std::shared_ptr<RouteMetrics> metrics_;
  HeaderList extra_headers_;
  std::shared_ptr<platform::CallerLimiter> limiter_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> responded_{false};
};

using ExchangePtr = std::shared_ptr<Exchange>;

// Reason phrase for a status code ("Not Found").
std::string_view ReasonPhrase(int status);

}  // namespace orders::platform::http

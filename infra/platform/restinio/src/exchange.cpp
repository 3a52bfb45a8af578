#include <orders/platform/restinio/exchange.hpp>

#include <orders/platform/caller_limiter.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/restinio/router.hpp>

namespace orders::platform::http {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Content";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

Exchange::Exchange(restinio::request_handle_t request, std::map<std::string, std::string> route_params,
                   std::shared_ptr<RouteMetrics> metrics)
    : request_(std::move(request)),
      route_params_(std::move(route_params)),
      metrics_(std::move(metrics)),
      started_(std::chrono::steady_clock::now()) {}

Exchange::~Exchange() {
  if (!responded_.load()) {
    try {
      RespondProblem(InternalProblem());
    } catch (...) {
      // Destructors must not throw; the connection times out instead.
    }
  }
}

std::string Exchange::RouteParam(const std::string& name) const {
  auto it = route_params_.find(name);
  return it == route_params_.end() ? std::string() : it->second;
}

std::optional<QueryParams> Exchange::Query() const {
  auto parsed =
      restinio::try_parse_query<restinio::parse_query_traits::javascript_compatible>(request_->header().query());
  if (!parsed) return std::nullopt;
  QueryParams params;
  for (const auto& [name, value] : *parsed) {
    if (!params.emplace(std::string(name), std::string(value)).second) return std::nullopt;
  }
  return params;
}

std::optional<Access> Exchange::Authorize(const Authenticator& authenticator, std::initializer_list<Role> allowed,
                                          QueryToken query_token) {
  const Access access = CheckCaller(authenticator, allowed, query_token);
  if (limiter_) {
    if (auto limited = limiter_->Admit(access.principal, request_->remote_endpoint().address().to_string())) {
      RespondProblem(limited->problem, limited->headers);
      return std::nullopt;
    }
  }
  if (access.granted) return access;
  HeaderList headers;
  if (access.refusal.status == 401) headers.emplace_back("WWW-Authenticate", access.challenge);
  RespondProblem(access.refusal, headers);
  return std::nullopt;
}

Access Exchange::CheckCaller(const Authenticator& authenticator, std::initializer_list<Role> allowed,
                             QueryToken query_token_use) const {
  if (!authenticator.enabled()) return Access{true, std::nullopt, {}, {}};
  const auto& header = request_->header();
  std::optional<std::string> authorization;
  if (header.has_field(restinio::http_field::authorization)) {
    authorization = header.get_field(restinio::http_field::authorization);
  }
  std::optional<std::string> query_token;
  if (query_token_use == QueryToken::kAccepted) {
    if (auto query = Query(); query && query->count("access_token")) query_token = query->at("access_token");
  }
  return CheckAccess({authorization, query_token}, authenticator, allowed);
}

bool Exchange::RespondText(int status, std::string content_type, std::string body, const HeaderList& headers) {
  if (responded_.exchange(true)) return false;
  auto response = request_->create_response(restinio::http_status_line_t{
      restinio::http_status_code_t{static_cast<std::uint16_t>(status)}, std::string(ReasonPhrase(status))});
  response.append_header(restinio::http_field::content_type, std::move(content_type));
  for (const auto& [name, value] : extra_headers_) response.append_header(name, value);
  for (const auto& [name, value] : headers) response.append_header(name, value);
  response.set_body(std::move(body));
  // Counted before the answer leaves, so a client that saw the answer sees it counted.
  if (metrics_) {
    metrics_->Record(request_->header().method().c_str(), status, std::chrono::steady_clock::now() - started_);
  }
  response.done();
  return true;
}

std::shared_ptr<ChunkedResponse> Exchange::RespondChunked(int status, std::string content_type,
                                                          const HeaderList& headers) {
  if (responded_.exchange(true)) return nullptr;
  auto response = request_->create_response<restinio::chunked_output_t>(restinio::http_status_line_t{
      restinio::http_status_code_t{static_cast<std::uint16_t>(status)}, std::string(ReasonPhrase(status))});
  response.append_header(restinio::http_field::content_type, std::move(content_type));
  for (const auto& [name, value] : extra_headers_) response.append_header(name, value);
  for (const auto& [name, value] : headers) response.append_header(name, value);
  if (metrics_) {
    metrics_->Record(request_->header().method().c_str(), status, std::chrono::steady_clock::now() - started_);
  }
  return std::make_shared<ChunkedResponse>(std::move(response));
}

void ChunkedResponse::Write(std::string chunk, Written written) {
  if (!builder_) {
    written(false);
    return;
  }
  builder_->append_chunk(std::move(chunk));
  // RESTinio calls the notificator exactly once: after the write, or with an
  // error when the connection closed first (or when the write never started).
  builder_->flush([written = std::move(written)](const asio::error_code& error) { written(!error); });
}

void ChunkedResponse::Finish() {
  if (!builder_) return;
  builder_->done();
  builder_.reset();
}

void ChunkedResponse::Abandon() { builder_.reset(); }

restinio::request_handle_t Exchange::TakeForUpgrade(int status) {
  responded_ = true;
  if (metrics_) {
    metrics_->Record(request_->header().method().c_str(), status, std::chrono::steady_clock::now() - started_);
  }
  return request_;
}

bool Exchange::RespondJson(int status, const nlohmann::json& body, const HeaderList& headers) {
  return RespondText(status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                     headers);
}

bool Exchange::RespondProblem(const Problem& problem, const HeaderList& headers) {
  return RespondText(problem.status, kProblemContentType, RenderProblem(problem), headers);
}

}  // namespace orders::platform::http

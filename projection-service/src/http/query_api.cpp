#include <orders/projection/query_api.hpp>

#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/platform/log.hpp>

namespace orders::projection {
namespace {

using platform::http::ExchangePtr;
using Json = nlohmann::json;

const platform::http::HeaderList kRetryAfter = {{"Retry-After", "1"}};

platform::Problem BadRequest(const ParamErrors& errors) {
  platform::Problem problem{400, "Bad Request", "The request parameters are not valid.", {}, {}};
  for (const auto& error : errors) problem.errors.push_back({error.field, error.reason});
  return problem;
}

// Runs `body`; a database failure answers 503 (and drops the connection),
// nothing internal reaches the client.
template <typename Body>
void WithStore(const ExchangePtr& exchange, ReadModelQueries& queries, Body&& body) {
  try {
    body();
  } catch (const pqxx::broken_connection& e) {
    queries.ResetConnection();
    platform::LogWarn("read model unreachable", {{"error", e.what()}});
    exchange->RespondProblem(platform::UnavailableProblem("The read model is temporarily unavailable."), kRetryAfter);
  } catch (const pqxx::failure& e) {
    queries.ResetConnection();
    platform::LogError("read model query failed", {{"error", e.what()}});
    exchange->RespondProblem(platform::UnavailableProblem("The read model is temporarily unavailable."), kRetryAfter);
  }
}

constexpr std::initializer_list<platform::Role> kAnyRole = {platform::Role::kCustomer, platform::Role::kStaff,
                                                            platform::Role::kService};
constexpr std::initializer_list<platform::Role> kStaffOrService = {platform::Role::kStaff, platform::Role::kService};

// The query parameters without the token (which Authorize has read).
std::optional<platform::http::QueryParams> QueryOrProblem(const ExchangePtr& exchange) {
  auto params = exchange->Query();
  if (!params) exchange->RespondProblem(BadRequest({{"query", "is malformed or repeats a parameter"}}));
  if (params) params->erase("access_token");
  return params;
}

// The customer a principal is limited to; nullopt for staff, service, or when auth is off.
std::optional<std::string> LimitedToCustomer(const platform::Access& access) {
  if (access.principal && access.principal->role == platform::Role::kCustomer) return access.principal->subject;
  return std::nullopt;
}

platform::Problem ForeignOrderProblem() {
  return {403, "Forbidden", "This order belongs to another customer.", {}, {}};
}

void RespondOrder(const ExchangePtr& exchange, const std::optional<OrderView>& view,
                  const std::optional<std::string>& customer) {
  if (!view) {
    exchange->RespondProblem(platform::NotFoundProblem("No order with this orderId."));
    return;
  }
  if (customer && view->order.customer_id != *customer) {
    exchange->RespondProblem(ForeignOrderProblem());
    return;
  }
  exchange->RespondJson(200, OrderViewToJson(*view), {{"ETag", "\"" + std::to_string(view->order.version) + "\""}});
}

struct Wait {
  ExchangePtr exchange;
  std::string order_id;
  std::int64_t min_version = 0;
  std::optional<std::string> customer;
  std::atomic<bool> claimed{false};
  std::optional<std::uint64_t> waiter_id;
  std::unique_ptr<asio::steady_timer> timer;
};

void GetOrder(const ExchangePtr& exchange, const QueryApiDeps& deps) {
  const auto access = exchange->Authorize(deps.jwt_secret, kAnyRole);
  if (!access) return;
  const auto customer = LimitedToCustomer(*access);
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  auto parsed = ParseOrderLookup(exchange->RouteParam("id"), *params);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  const OrderLookup lookup = *parsed.value;
  if (!lookup.min_version) {
    WithStore(exchange, deps.queries,
              [&] { RespondOrder(exchange, deps.queries.FindOrder(lookup.order_id), customer); });
    return;
  }
  // Register first, then look: an apply that commits in between still wakes us.
  auto wait = std::make_shared<Wait>();
  wait->exchange = exchange;
  wait->order_id = lookup.order_id;
  wait->min_version = *lookup.min_version;
  wait->customer = customer;
  auto finish = [wait, &queries = deps.queries] {
    if (wait->claimed.exchange(true)) return;
    WithStore(wait->exchange, queries, [&] {
      auto view = queries.FindOrder(wait->order_id);
      if (view && view->order.version >= wait->min_version) {
        RespondOrder(wait->exchange, view, wait->customer);
      } else {
        wait->exchange->RespondProblem(platform::UnavailableProblem("The read model has not reached this version yet."),
                                       kRetryAfter);
      }
    });
  };
  auto& io_context = deps.io_context;
  wait->waiter_id = deps.waiters.Add(lookup.order_id, lookup.min_version.value(),
                                     [&io_context, finish] { asio::post(io_context, finish); });
  if (!wait->waiter_id) {
    exchange->RespondProblem(platform::UnavailableProblem("Too many requests are waiting."), kRetryAfter);
    return;
  }
  bool reached = false;
  WithStore(exchange, deps.queries, [&] {
    auto view = deps.queries.FindOrder(lookup.order_id);
    reached = view && view->order.version >= lookup.min_version.value();
    if (reached && !wait->claimed.exchange(true)) RespondOrder(exchange, view, customer);
  });
  if (reached || exchange->responded()) {
    deps.waiters.Remove(*wait->waiter_id);
    return;
  }
  wait->timer = std::make_unique<asio::steady_timer>(io_context, deps.max_wait);
  auto& waiters = deps.waiters;
  wait->timer->async_wait([wait, &waiters](const asio::error_code&) {
    waiters.Remove(*wait->waiter_id);
    if (wait->claimed.exchange(true)) return;
    wait->exchange->RespondProblem(
        platform::UnavailableProblem("The read model has not reached this version within 5 seconds."), kRetryAfter);
  });
}

void ListOrders(const ExchangePtr& exchange, ReadModelQueries& queries, const std::string& secret) {
  const auto access = exchange->Authorize(secret, kAnyRole);
  if (!access) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  auto parsed = ParseListQuery(*params);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  if (const auto customer = LimitedToCustomer(*access)) {
    if (parsed.value->customer_id && *parsed.value->customer_id != *customer) {
      exchange->RespondProblem({403, "Forbidden", "Customers may list only their own orders.", {}, {}});
      return;
    }
    parsed.value->customer_id = customer;
  }
  WithStore(exchange, queries, [&] { exchange->RespondJson(200, OrderPageToJson(queries.ListOrders(*parsed.value))); });
}

void StatusCounts(const ExchangePtr& exchange, ReadModelQueries& queries, const std::string& secret) {
  if (!exchange->Authorize(secret, kStaffOrService)) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  if (auto parsed = ParseNoParams(*params); !parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  WithStore(exchange, queries, [&] {
    Json counts = Json::object();
    std::int64_t total = 0;
    for (const auto& [status, count] : queries.StatusCounts()) {
      counts[std::string(domain::ToString(status))] = count;
      total += count;
    }
    exchange->RespondJson(200, {{"counts", counts}, {"total", total}});
  });
}

void Daily(const ExchangePtr& exchange, ReadModelQueries& queries, const std::string& secret) {
  if (!exchange->Authorize(secret, kStaffOrService)) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  auto parsed = ParseDailyQuery(*params, today);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  WithStore(exchange, queries, [&] {
    Json days = Json::array();
    for (const auto& row : queries.Daily(*parsed.value)) {
      days.push_back({{"date", FormatDate(row.day)},
                      {"placed", row.placed},
                      {"delivered", row.delivered},
                      {"cancelled", row.cancelled},
                      {"revenueCents", row.revenue_cents}});
    }
    exchange->RespondJson(200, {{"days", days}});
  });
}

}  // namespace

nlohmann::json OrderViewToJson(const OrderView& view) {
  Json json = codec::OrderToJson(view.order);
  Json history = Json::array();
  for (const auto& row : view.history) {
    Json entry{
        {"version", row.version}, {"status", domain::ToString(row.status)}, {"at", codec::FormatTimestamp(row.at)}};
    if (row.reason) entry["reason"] = *row.reason;
    history.push_back(std::move(entry));
  }
  json["history"] = std::move(history);
  return json;
}

nlohmann::json OrderPageToJson(const OrderPage& page) {
  Json items = Json::array();
  for (const auto& order : page.items) items.push_back(codec::OrderToJson(order));
  return {{"items", std::move(items)}, {"nextCursor", page.next ? Json(EncodeCursor(*page.next)) : Json(nullptr)}};
}

void AddQueryRoutes(platform::http::Router& router, QueryApiDeps deps) {
  auto shared = std::make_shared<QueryApiDeps>(deps);
  router.Add(restinio::http_method_get(), "/orders/{id}",
             [shared](const ExchangePtr& exchange) { GetOrder(exchange, *shared); });
  router.Add(restinio::http_method_get(), "/orders",
             [shared](const ExchangePtr& exchange) { ListOrders(exchange, shared->queries, shared->jwt_secret); });
  router.Add(restinio::http_method_get(), "/reports/status-counts",
             [shared](const ExchangePtr& exchange) { StatusCounts(exchange, shared->queries, shared->jwt_secret); });
  router.Add(restinio::http_method_get(), "/reports/daily",
             [shared](const ExchangePtr& exchange) { Daily(exchange, shared->queries, shared->jwt_secret); });
}

}  // namespace orders::projection

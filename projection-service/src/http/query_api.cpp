#include <orders/projection/query_api.hpp>

#include <atomic>
#include <cmath>

#include <orders/projection/csv_bodies.hpp>
#include <orders/projection/csv_stream.hpp>
#include <orders/projection/daily_report.hpp>
#include <orders/projection/report_bodies.hpp>

#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/domain/access.hpp>
#include <orders/platform/log.hpp>
#include <orders/projection/version_wait.hpp>

#include "http/asio_scheduler.hpp"

namespace orders::projection {
namespace {

using platform::http::ExchangePtr;
using Json = nlohmann::json;

const platform::http::HeaderList kRetryAfter = {{"Retry-After", "1"}};

// Streamed CSV exports at once; past it, 503. Each holds up to a page (a few hundred kB) for as long
// as its client takes to read it, so this bounds what exports hold together.
constexpr int kMaxCsvExports = 16;

platform::Problem BadRequest(const ParamErrors& errors) {
  platform::Problem problem{400, "Bad Request", "The request parameters are not valid.", {}, {}};
  for (const auto& error : errors) problem.errors.push_back({error.field, error.reason});
  return problem;
}

void RespondUnavailable(const ExchangePtr& exchange) {
  exchange->RespondProblem(platform::UnavailableProblem("The read model is temporarily unavailable."), kRetryAfter);
}

constexpr std::initializer_list<platform::Role> kAnyRole = {platform::Role::kCustomer, platform::Role::kCourier,
                                                            platform::Role::kStaff, platform::Role::kService};
constexpr std::initializer_list<platform::Role> kCourierOrStaff = {platform::Role::kCourier, platform::Role::kStaff,
                                                                   platform::Role::kService};
constexpr std::initializer_list<platform::Role> kStaffOrService = {platform::Role::kStaff, platform::Role::kService};

// The query parameters; a stray access_token (tokens belong in the header) is ignored.
std::optional<platform::http::QueryParams> QueryOrProblem(const ExchangePtr& exchange) {
  auto params = exchange->Query();
  if (!params) exchange->RespondProblem(BadRequest({{"query", "is malformed or repeats a parameter"}}));
  if (params) params->erase("access_token");
  return params;
}

// The body format the caller accepts (JSON or CSV); nullopt once 406 has been answered.
std::optional<BodyFormat> FormatOrProblem(const ExchangePtr& exchange) {
  const auto format =
      NegotiateFormat(exchange->request().header().get_field_or(restinio::http_field::accept, std::string()));
  if (!format) {
    exchange->RespondProblem(platform::Problem{
        406, "Not Acceptable", "This resource is available as application/json or text/csv.", {}, {}});
  }
  return format;
}

void RespondCsv(const ExchangePtr& exchange, std::string body, const platform::http::HeaderList& headers = {}) {
  exchange->RespondText(200, kCsvContentType, std::move(body), headers);
}

// A list page as CSV: the next page's cursor, when there is one, in Next-Cursor.
void RespondOrderPageCsv(const ExchangePtr& exchange, const OrderPage& page, CursorList list) {
  platform::http::HeaderList headers;
  if (page.next) headers.emplace_back("Next-Cursor", EncodeCursor(*page.next, list));
  RespondCsv(exchange, OrdersCsv(page), headers);
}

void RespondOrder(const ExchangePtr& exchange, const std::optional<OrderView>& view, const domain::Actor& actor) {
  // An order the caller may not see (another customer's; for a courier, one
  // neither assigned to it nor open) is answered exactly like a missing one,
  // so its existence does not leak.
  if (!view || !domain::MaySee(actor, view->order)) {
    exchange->RespondProblem(platform::NotFoundProblem("No order with this orderId."));
    return;
  }
  exchange->RespondJson(200, OrderViewToJson(*view), {{"ETag", "\"" + std::to_string(view->order.version) + "\""}});
}

// What the routes share: their dependencies and the minVersion wait.
struct Routes {
  QueryApiDeps deps;
  AsioScheduler scheduler;
  std::shared_ptr<VersionWait> version_wait;
  // Streamed CSV exports under way: each holds up to a page, so their number bounds what they hold.
  std::atomic<int> csv_exports{0};

  explicit Routes(QueryApiDeps d)
      : deps(d),
        scheduler(d.io_context),
        version_wait(VersionWait::Create(d.queries, d.waiters, scheduler, d.max_wait)) {}
};

// A streamed export's chunks, into the exchange's chunked response.
class ChunkedCsvSink final : public CsvChunkSink {
 public:
  explicit ChunkedCsvSink(std::shared_ptr<platform::http::ChunkedResponse> response) : response_(std::move(response)) {}
  void Write(std::string chunk, std::function<void(bool written)> written) override {
    response_->Write(std::move(chunk), std::move(written));
  }
  void Finish() override { response_->Finish(); }
  void Abandon() override { response_->Abandon(); }

 private:
  std::shared_ptr<platform::http::ChunkedResponse> response_;
};

// A list's CSV without `limit`: every matching row from the request's cursor on, streamed
// (csv_stream.hpp). The first page is read before the answer starts, so a read model that does
// not answer is still a 503.
void RespondCsvStream(const ExchangePtr& exchange, Routes& routes, std::string header,
                      std::unique_ptr<CsvPageSource> source) {
  if (routes.csv_exports.fetch_add(1) >= kMaxCsvExports) {
    routes.csv_exports.fetch_sub(1);
    exchange->RespondProblem(platform::UnavailableProblem("Too many CSV exports are under way."), kRetryAfter);
    return;
  }
  auto first = source->NextPage();
  auto response = first ? exchange->RespondChunked(200, kCsvContentType) : nullptr;
  if (!response) {
    routes.csv_exports.fetch_sub(1);
    if (!first) RespondUnavailable(exchange);
    return;
  }
  ProjectionMetrics* metrics = routes.deps.metrics;
  if (metrics) metrics->csv_exports_open.Add(1);
  StreamCsv(std::move(header), std::move(*first), std::move(source),
            std::make_shared<ChunkedCsvSink>(std::move(response)), routes.scheduler,
            [metrics, &exports = routes.csv_exports](const CsvStreamEnd& end) {
              exports.fetch_sub(1);
              if (!metrics) return;
              metrics->csv_exports_open.Add(-1);
              metrics->csv_rows.Inc(static_cast<std::uint64_t>(end.rows));
              switch (end.outcome) {
                case CsvStreamOutcome::kComplete:
                  metrics->csv_exports_complete.Inc();
                  return;
                case CsvStreamOutcome::kCut:
                  metrics->csv_exports_cut.Inc();
                  return;
                case CsvStreamOutcome::kFailed:
                  metrics->csv_exports_failed.Inc();
                  return;
              }
            });
}

// Whether a list answers as a streamed CSV export: CSV asked for, and no `limit` (which asks for one page).
bool StreamsCsv(BodyFormat format, const platform::http::QueryParams& params) {
  return format == BodyFormat::kCsv && params.count("limit") == 0;
}

void RespondWaited(const ExchangePtr& exchange, const VersionWaitResult& result, const domain::Actor& actor) {
  using Kind = VersionWaitResult::Kind;
  switch (result.kind) {
    case Kind::kReached:
      RespondOrder(exchange, result.view, actor);
      return;
    case Kind::kTooManyWaiting:
      exchange->RespondProblem(platform::UnavailableProblem("Too many requests are waiting."), kRetryAfter);
      return;
    case Kind::kNotReached:
      exchange->RespondProblem(platform::UnavailableProblem("The read model has not reached this version yet."),
                               kRetryAfter);
      return;
    case Kind::kTimedOut:
      exchange->RespondProblem(
          platform::UnavailableProblem("The read model has not reached this version within 5 seconds."), kRetryAfter);
      return;
    case Kind::kStoreUnavailable:
      RespondUnavailable(exchange);
      return;
  }
}

void GetOrder(const ExchangePtr& exchange, Routes& routes) {
  const auto access = exchange->Authorize(*routes.deps.authenticator, kAnyRole);
  if (!access) return;
  const auto actor = ActorOf(*access);
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  auto parsed = ParseOrderLookup(exchange->RouteParam("id"), *params);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  const OrderLookup& lookup = *parsed.value;
  if (lookup.min_version) {
    routes.version_wait->Start(lookup.order_id, *lookup.min_version,
                               [exchange, actor](VersionWaitResult result) { RespondWaited(exchange, result, actor); });
    return;
  }
  const auto found = routes.deps.queries.FindOrder(lookup.order_id);
  if (!found) return RespondUnavailable(exchange);
  RespondOrder(exchange, *found, actor);
}

void ListOrders(const ExchangePtr& exchange, Routes& routes) {
  ReadModelReader& queries = routes.deps.queries;
  const auto access = exchange->Authorize(*routes.deps.authenticator, kAnyRole);
  if (!access) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  auto parsed = ParseListQuery(*params);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  if (const auto problem = LimitToCaller(ActorOf(*access), *parsed.value)) {
    exchange->RespondProblem(*problem);
    return;
  }
  const auto format = FormatOrProblem(exchange);
  if (!format) return;
  if (StreamsCsv(*format, *params)) {
    return RespondCsvStream(exchange, routes, OrdersCsvHeader(), OrdersCsvSource(queries, *parsed.value));
  }
  const auto page = queries.ListOrders(*parsed.value);
  if (!page) return RespondUnavailable(exchange);
  if (*format == BodyFormat::kCsv) return RespondOrderPageCsv(exchange, *page, CursorList::kOrders);
  exchange->RespondJson(200, OrderPageToJson(*page));
}

void OpenDeliveries(const ExchangePtr& exchange, Routes& routes) {
  ReadModelReader& queries = routes.deps.queries;
  const auto access = exchange->Authorize(*routes.deps.authenticator, kCourierOrStaff);
  if (!access) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  auto parsed = ParseOpenDeliveriesQuery(*params);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  // A courier's list leaves out what it declined; staff and services see every open delivery.
  if (const auto actor = ActorOf(*access); actor.role == domain::ActorRole::kCourier) {
    parsed.value->declined_by = actor.id;
  }
  const auto format = FormatOrProblem(exchange);
  if (!format) return;
  if (StreamsCsv(*format, *params)) {
    return RespondCsvStream(exchange, routes, OrdersCsvHeader(), OpenDeliveriesCsvSource(queries, *parsed.value));
  }
  const auto page = queries.OpenDeliveries(*parsed.value);
  if (!page) return RespondUnavailable(exchange);
  if (*format == BodyFormat::kCsv) return RespondOrderPageCsv(exchange, *page, CursorList::kOpenDeliveries);
  exchange->RespondJson(200, OrderPageToJson(*page, CursorList::kOpenDeliveries));
}

void StatusCounts(const ExchangePtr& exchange, ReadModelReader& queries, const platform::Authenticator& authenticator) {
  if (!exchange->Authorize(authenticator, kStaffOrService)) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  if (auto parsed = ParseNoParams(*params); !parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  const auto format = FormatOrProblem(exchange);
  if (!format) return;
  const auto status_counts = queries.StatusCounts();
  if (!status_counts) return RespondUnavailable(exchange);
  if (*format == BodyFormat::kCsv) return RespondCsv(exchange, StatusCountsCsv(*status_counts));
  Json counts = Json::object();
  std::int64_t total = 0;
  for (const auto& [status, count] : *status_counts) {
    counts[std::string(domain::ToString(status))] = count;
    total += count;
  }
  exchange->RespondJson(200, {{"counts", counts}, {"total", total}});
}

// Reports over a date range: staff/service only, `from`/`to` parsed against today; nullopt once
// the refusal or the 400 has been answered.
std::optional<DailyQuery> RangeReportQuery(const ExchangePtr& exchange, const platform::Authenticator& authenticator) {
  if (!exchange->Authorize(authenticator, kStaffOrService)) return std::nullopt;
  auto params = QueryOrProblem(exchange);
  if (!params) return std::nullopt;
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  auto parsed = ParseDailyQuery(*params, today);
  if (!parsed.value) exchange->RespondProblem(BadRequest(parsed.errors));
  return std::move(parsed.value);
}

// A range report's query and the format it is answered in; nullopt once answered otherwise.
std::optional<std::pair<DailyQuery, BodyFormat>> RangeReportRequest(const ExchangePtr& exchange,
                                                                    const platform::Authenticator& authenticator) {
  const auto query = RangeReportQuery(exchange, authenticator);
  if (!query) return std::nullopt;
  const auto format = FormatOrProblem(exchange);
  if (!format) return std::nullopt;
  return std::make_pair(*query, *format);
}

void Daily(const ExchangePtr& exchange, ReadModelReader& queries, const platform::Authenticator& authenticator) {
  const auto request = RangeReportRequest(exchange, authenticator);
  if (!request) return;
  const auto daily = queries.Daily(request->first);
  if (!daily) return RespondUnavailable(exchange);
  if (request->second == BodyFormat::kCsv) return RespondCsv(exchange, DailyCsv(*daily));
  exchange->RespondText(200, "application/json", DailyReportJson(*daily));
}

void Couriers(const ExchangePtr& exchange, ReadModelReader& queries, const platform::Authenticator& authenticator) {
  const auto request = RangeReportRequest(exchange, authenticator);
  if (!request) return;
  const auto couriers = queries.Couriers(request->first);
  if (!couriers) return RespondUnavailable(exchange);
  if (request->second == BodyFormat::kCsv) return RespondCsv(exchange, CouriersCsv(*couriers));
  exchange->RespondJson(200, CourierReportToJson(*couriers));
}

void Products(const ExchangePtr& exchange, ReadModelReader& queries, const platform::Authenticator& authenticator) {
  if (!exchange->Authorize(authenticator, kStaffOrService)) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  auto parsed = ParseProductsQuery(*params, today);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  const auto format = FormatOrProblem(exchange);
  if (!format) return;
  const auto report = queries.Products(*parsed.value);
  if (!report) return RespondUnavailable(exchange);
  if (*format == BodyFormat::kCsv) return RespondCsv(exchange, ProductsCsv(*report));
  exchange->RespondText(200, "application/json", ProductReportJson(*parsed.value, *report));
}

void Funnel(const ExchangePtr& exchange, ReadModelReader& queries, const platform::Authenticator& authenticator) {
  const auto request = RangeReportRequest(exchange, authenticator);
  if (!request) return;
  const auto report = queries.Funnel(request->first);
  if (!report) return RespondUnavailable(exchange);
  if (request->second == BodyFormat::kCsv) return RespondCsv(exchange, FunnelCsv(*report));
  exchange->RespondText(200, "application/json", FunnelReportJson(request->first, *report));
}

void Inventory(const ExchangePtr& exchange, Routes& routes) {
  ReadModelReader& queries = routes.deps.queries;
  if (!exchange->Authorize(*routes.deps.authenticator, kStaffOrService)) return;
  auto params = QueryOrProblem(exchange);
  if (!params) return;
  auto parsed = ParseInventoryQuery(*params);
  if (!parsed.value) {
    exchange->RespondProblem(BadRequest(parsed.errors));
    return;
  }
  const auto format = FormatOrProblem(exchange);
  if (!format) return;
  if (StreamsCsv(*format, *params)) {
    return RespondCsvStream(exchange, routes, InventoryCsvHeader(), InventoryCsvSource(queries, *parsed.value));
  }
  const auto page = queries.ListInventory(*parsed.value);
  if (!page) return RespondUnavailable(exchange);
  if (*format == BodyFormat::kCsv) {
    platform::http::HeaderList headers;
    if (page->next_after) headers.emplace_back("Next-Cursor", EncodeProductCursor(*page->next_after));
    return RespondCsv(exchange, InventoryCsv(*page), headers);
  }
  exchange->RespondJson(200, InventoryPageToJson(*page));
}

}  // namespace

nlohmann::json InventoryPageToJson(const InventoryPage& page) {
  Json items = Json::array();
  for (const auto& level : page.items) {
    items.push_back({{"productId", level.product_id},
                     {"onHand", level.on_hand},
                     {"reserved", level.reserved},
                     {"available", level.available},
                     {"version", level.version},
                     {"updatedAt", codec::FormatTimestamp(level.updated_at)}});
  }
  return {{"items", std::move(items)},
          {"nextCursor", page.next_after ? Json(EncodeProductCursor(*page.next_after)) : Json(nullptr)}};
}

nlohmann::json CourierReportToJson(const std::vector<CourierReportRow>& couriers) {
  Json rows = Json::array();
  for (const auto& courier : couriers) {
    // Minutes to one decimal: the report is read by people, and a tenth of a minute is finer than it needs.
    const auto median = RoundedQuantile(courier.minutes, 0.5);
    const auto p90 = RoundedQuantile(courier.minutes, 0.9);
    rows.push_back({{"courierId", courier.courier_id},
                    {"deliveries", courier.deliveries},
                    {"medianMinutesToDeliver", median ? Json(*median) : Json(nullptr)},
                    {"p90MinutesToDeliver", p90 ? Json(*p90) : Json(nullptr)}});
  }
  return {{"couriers", std::move(rows)}};
}

domain::Actor ActorOf(const platform::Access& access) {
  if (!access.principal) return {domain::ActorRole::kStaff, ""};  // auth off: the operator's own tools
  switch (access.principal->role) {
    case platform::Role::kCustomer:
      return {domain::ActorRole::kCustomer, access.principal->subject};
    case platform::Role::kCourier:
      return {domain::ActorRole::kCourier, access.principal->subject};
    case platform::Role::kStaff:
      return {domain::ActorRole::kStaff, access.principal->subject};
    case platform::Role::kService:
      return {domain::ActorRole::kService, access.principal->subject};
  }
  return {domain::ActorRole::kCustomer, access.principal->subject};
}

std::optional<platform::Problem> LimitToCaller(const domain::Actor& actor, ListQuery& query) {
  switch (actor.role) {
    case domain::ActorRole::kCustomer:
      if (query.customer_id && *query.customer_id != actor.id) {
        return platform::Problem{403, "Forbidden", "Customers may list only their own orders.", {}, {}};
      }
      query.customer_id = actor.id;
      return std::nullopt;
    case domain::ActorRole::kCourier:
      if (query.courier_id && *query.courier_id != actor.id) {
        return platform::Problem{403, "Forbidden", "Couriers may list only their own deliveries.", {}, {}};
      }
      query.courier_id = actor.id;
      return std::nullopt;
    case domain::ActorRole::kStaff:
    case domain::ActorRole::kService:
      return std::nullopt;
  }
  return std::nullopt;
}

nlohmann::json OrderViewToJson(const OrderView& view) {
  Json json = codec::OrderToJson(view.order);
  Json history = Json::array();
  for (const auto& row : view.history) {
    Json entry{{"version", row.version},
               {"event", row.event},
               {"status", domain::ToString(row.status)},
               {"at", codec::FormatTimestamp(row.at)}};
    if (row.reason) entry["reason"] = *row.reason;
    if (row.courier_id) entry["courierId"] = *row.courier_id;
    history.push_back(std::move(entry));
  }
  json["history"] = std::move(history);
  return json;
}

nlohmann::json OrderPageToJson(const OrderPage& page, CursorList list) {
  Json items = Json::array();
  for (const auto& order : page.items) items.push_back(codec::OrderToJson(order));
  return {{"items", std::move(items)},
          {"nextCursor", page.next ? Json(EncodeCursor(*page.next, list)) : Json(nullptr)}};
}

void AddQueryRoutes(platform::http::Router& router, QueryApiDeps deps) {
  auto routes = std::make_shared<Routes>(deps);
  router.Add(restinio::http_method_get(), "/orders/{id}",
             [routes](const ExchangePtr& exchange) { GetOrder(exchange, *routes); });
  router.Add(restinio::http_method_get(), "/orders",
             [routes](const ExchangePtr& exchange) { ListOrders(exchange, *routes); });
  router.Add(restinio::http_method_get(), "/deliveries/open",
             [routes](const ExchangePtr& exchange) { OpenDeliveries(exchange, *routes); });
  router.Add(restinio::http_method_get(), "/inventory",
             [routes](const ExchangePtr& exchange) { Inventory(exchange, *routes); });
  router.Add(restinio::http_method_get(), "/reports/status-counts", [routes](const ExchangePtr& exchange) {
    StatusCounts(exchange, routes->deps.queries, *routes->deps.authenticator);
  });
  router.Add(restinio::http_method_get(), "/reports/daily", [routes](const ExchangePtr& exchange) {
    Daily(exchange, routes->deps.queries, *routes->deps.authenticator);
  });
  router.Add(restinio::http_method_get(), "/reports/couriers", [routes](const ExchangePtr& exchange) {
    Couriers(exchange, routes->deps.queries, *routes->deps.authenticator);
  });
  router.Add(restinio::http_method_get(), "/reports/products", [routes](const ExchangePtr& exchange) {
    Products(exchange, routes->deps.queries, *routes->deps.authenticator);
  });
  router.Add(restinio::http_method_get(), "/reports/funnel", [routes](const ExchangePtr& exchange) {
    Funnel(exchange, routes->deps.queries, *routes->deps.authenticator);
  });
}

}  // namespace orders::projection

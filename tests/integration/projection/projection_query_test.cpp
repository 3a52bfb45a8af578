// The query API against a read model built from known events.
#include <thread>

#include "projection_fixture.hpp"

#include <orders/testing/run_tool.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using Json = nlohmann::json;

domain::Timestamp Ms(std::int64_t ms) { return domain::Timestamp{std::chrono::milliseconds(ms)}; }

class ProjectionQueryTest : public ProjectionTest {
 protected:
  // Orders placed one second apart from 2025-11-24T16:00:00Z; order i belongs to
  // customer "c-<i % 2>". Order 0 is delivered the next day, order 1 cancelled.
  void SetUp() override {
    ProjectionTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (int i = 0; i < 5; ++i) {
      domain::OrderPlaced placed{
          platform::NewUuid(), 1, Ms(kBase + i * 1000), "c-" + std::to_string(i % 2), {{"sku", 2, 150}}, "USD", 300};
      ids_.push_back(placed.order_id);
      Produce(placed);
    }
    Produce(domain::StatusChanged{ids_[0], 2, Ms(kBase + kDay), Status::kPending, Status::kDelivered, std::nullopt});
    Produce(domain::StatusChanged{ids_[1], 2, Ms(kBase + 5000), Status::kPending, Status::kCancelled, "no stock"});
    Flush();
    StartService();
    WaitReady();
    WaitUntilCaughtUp();
  }

  Json GetJson(const std::string& path, int expected_status = 200) {
    auto response = Get(path);
    EXPECT_EQ(response.status, expected_status) << path << " " << response.body;
    auto json = Json::parse(response.body, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << response.body;
    return json;
  }

  void ExpectBadRequest(const std::string& path, const std::string& field) {
    auto response = Get(path);
    EXPECT_EQ(response.status, 400) << path << " " << response.body;
    EXPECT_EQ(response.Header("content-type"), "application/problem+json") << path;
    auto json = Json::parse(response.body, nullptr, false);
    ASSERT_TRUE(json.is_object()) << response.body;
    bool found = false;
    for (const auto& error : json.value("errors", Json::array())) found = found || error.value("field", "") == field;
    EXPECT_TRUE(found) << path << " " << response.body;
    for (const char* internal : {"pqxx", "SQL", "syntax", "exception", "what()", "ERROR:"}) {
      EXPECT_EQ(response.body.find(internal), std::string::npos) << response.body;
    }
  }

  static constexpr std::int64_t kBase = 1764000000000;  // 2025-11-24T16:00:00Z
  static constexpr std::int64_t kDay = 86400000;
  // projection_version_waiters from /metrics (-1 when absent).
  int VersionWaiters() {
    const std::string metrics = Get("/metrics").body;
    for (const std::string name : {"\nprojection_version_waiters ", "\norders_projection_version_waiters "}) {
      if (const auto at = metrics.find(name); at != std::string::npos) {
        return std::atoi(metrics.c_str() + at + name.size());
      }
    }
    return -1;
  }

  std::vector<std::string> ids_;
};

TEST_F(ProjectionQueryTest, OrderWithHistory) {
  auto json = GetJson("/orders/" + ids_[1]);
  EXPECT_EQ(json["orderId"], ids_[1]);
  EXPECT_EQ(json["status"], "cancelled");
  EXPECT_EQ(json["version"], 2);
  EXPECT_EQ(json["totalCents"], 300);
  EXPECT_EQ(json["createdAt"], codec::FormatTimestamp(Ms(kBase + 1000)));
  ASSERT_EQ(json["history"].size(), 2u);
  EXPECT_TRUE(json["courierId"].is_null());
  EXPECT_EQ(json["history"][0],
            (Json{{"version", 1}, {"event", "order.placed"}, {"status", "pending"}, {"at", json["createdAt"]}}));
  EXPECT_EQ(json["history"][1]["event"], "order.status_changed");
  EXPECT_EQ(json["history"][1]["reason"], "no stock");
  EXPECT_EQ(json["history"][1]["status"], "cancelled");

  auto missing = Get("/orders/" + platform::NewUuid());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("content-type"), "application/problem+json");
}

TEST_F(ProjectionQueryTest, MinVersionWaitsForTheEventAndOtherwiseAnswers503) {
  EXPECT_EQ(GetJson("/orders/" + ids_[2] + "?minVersion=1")["version"], 1);

  HttpResponse waited;
  std::thread waiter([&] { waited = Get("/orders/" + ids_[2] + "?minVersion=2", std::chrono::seconds(10)); });
  // Wait until the request is waiting: the projection reports its waiters
  // (the gauge is refreshed after each batch, so unrelated placements are
  // applied until a batch counts the waiter).
  ASSERT_TRUE(Eventually(
      [&] {
        Produce(domain::OrderPlaced{platform::NewUuid(), 1, Ms(kBase), "c-filler", {{"sku", 1, 1}}, "USD", 1});
        Flush();
        return Eventually([&] { return VersionWaiters() >= 1; }, std::chrono::milliseconds(200));
      },
      std::chrono::seconds(10)))
      << "the minVersion request never waited";
  Produce(domain::StatusChanged{ids_[2], 2, Ms(kBase + 9000), Status::kPending, Status::kConfirmed, std::nullopt});
  Flush();
  waiter.join();
  EXPECT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(Json::parse(waited.body, nullptr, false).value("version", 0), 2);

  const auto started = std::chrono::steady_clock::now();
  auto timed_out = Get("/orders/" + ids_[3] + "?minVersion=5", std::chrono::seconds(10));
  const auto waited_for = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(timed_out.status, 503) << timed_out.body;
  EXPECT_EQ(timed_out.Header("retry-after"), "1");
  EXPECT_GE(waited_for, std::chrono::milliseconds(4900));
  // A request for an order that never appears waits too, then 503.
  EXPECT_EQ(Get("/orders/" + platform::NewUuid() + "?minVersion=1").status, 503);
}

TEST_F(ProjectionQueryTest, ListFiltersNewestFirst) {
  auto all = GetJson("/orders");
  ASSERT_EQ(all["items"].size(), 5u);
  EXPECT_TRUE(all["nextCursor"].is_null());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all["items"][i]["orderId"], ids_[4 - i]);

  auto customer = GetJson("/orders?customerId=c-1");
  ASSERT_EQ(customer["items"].size(), 2u);
  EXPECT_EQ(customer["items"][0]["orderId"], ids_[3]);
  EXPECT_EQ(customer["items"][1]["orderId"], ids_[1]);

  auto pending = GetJson("/orders?status=pending");
  EXPECT_EQ(pending["items"].size(), 3u);
  auto both = GetJson("/orders?customerId=c-0&status=delivered");
  ASSERT_EQ(both["items"].size(), 1u);
  EXPECT_EQ(both["items"][0]["orderId"], ids_[0]);
  EXPECT_EQ(GetJson("/orders?customerId=nobody")["items"].size(), 0u);
}

TEST_F(ProjectionQueryTest, PaginationEdges) {
  // Pages of 2: 2 + 2 + 1, the last without a cursor.
  std::vector<std::string> seen;
  std::string path = "/orders?limit=2";
  int pages = 0;
  while (true) {
    auto page = GetJson(path);
    ++pages;
    for (const auto& item : page["items"]) seen.push_back(item["orderId"]);
    if (page["nextCursor"].is_null()) break;
    path = "/orders?limit=2&cursor=" + page["nextCursor"].get<std::string>();
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{ids_[4], ids_[3], ids_[2], ids_[1], ids_[0]}));

  // A page that ends exactly at the last order has no next cursor.
  EXPECT_TRUE(GetJson("/orders?limit=5")["nextCursor"].is_null());
  auto exact = GetJson("/orders?limit=4");
  ASSERT_FALSE(exact["nextCursor"].is_null());
  auto last = GetJson("/orders?limit=4&cursor=" + exact["nextCursor"].get<std::string>());
  ASSERT_EQ(last["items"].size(), 1u);
  EXPECT_TRUE(last["nextCursor"].is_null());
  EXPECT_EQ(GetJson("/orders?limit=500")["items"].size(), 5u);
}

TEST_F(ProjectionQueryTest, Reports) {
  auto counts = GetJson("/reports/status-counts");
  EXPECT_EQ(counts["total"], 5);
  EXPECT_EQ(counts["counts"]["pending"], 3);
  EXPECT_EQ(counts["counts"]["delivered"], 1);
  EXPECT_EQ(counts["counts"]["cancelled"], 1);
  EXPECT_EQ(counts["counts"]["shipped"], 0);

  auto daily = GetJson("/reports/daily?from=2025-11-23&to=2025-11-25");
  ASSERT_EQ(daily["days"].size(), 3u);
  EXPECT_EQ(
      daily["days"][0],
      (Json{{"date", "2025-11-23"}, {"placed", 0}, {"delivered", 0}, {"cancelled", 0}, {"revenue", Json::object()}}));
  EXPECT_EQ(
      daily["days"][1],
      (Json{{"date", "2025-11-24"}, {"placed", 5}, {"delivered", 0}, {"cancelled", 1}, {"revenue", Json::object()}}));
  EXPECT_EQ(
      daily["days"][2],
      (Json{{"date", "2025-11-25"}, {"placed", 0}, {"delivered", 1}, {"cancelled", 0}, {"revenue", {{"USD", 300}}}}));
}

// Order 2 is confirmed 3 minutes after it was placed and delivered an hour
// later; a EUR order of two products is delivered too: the products report
// ranks units across currencies and revenue per currency, the funnel counts
// each step on its day and times the steps from the summaries' histograms.
TEST_F(ProjectionQueryTest, ProductsAndFunnelReportsReadTheSummaries) {
  const std::int64_t placed_2 = kBase + 2000;
  Produce(
      domain::StatusChanged{ids_[2], 2, Ms(placed_2 + 3 * 60000), Status::kPending, Status::kConfirmed, std::nullopt});
  Produce(domain::StatusChanged{ids_[2], 3, Ms(placed_2 + 63 * 60000), Status::kConfirmed, Status::kDelivered,
                                std::nullopt});
  domain::OrderPlaced euro{
      platform::NewUuid(), 1, Ms(kBase + 9000), "c-9", {{"gadget", 1, 900}, {"sku", 1, 50}}, "EUR", 950};
  Produce(euro);
  Produce(
      domain::StatusChanged{euro.order_id, 2, Ms(kBase + 10000), Status::kPending, Status::kDelivered, std::nullopt});
  Flush();
  WaitUntilCaughtUp();

  EXPECT_EQ(GetJson("/reports/products?from=2025-11-24&to=2025-11-25"),
            Json::parse(R"({"from":"2025-11-24","to":"2025-11-25",
              "byQuantity":[{"productId":"sku","quantity":5},{"productId":"gadget","quantity":1}],
              "byRevenue":{"EUR":[{"productId":"gadget","revenueCents":900,"quantity":1},
                                  {"productId":"sku","revenueCents":50,"quantity":1}],
                           "USD":[{"productId":"sku","revenueCents":600,"quantity":4}]}})"));
  EXPECT_EQ(GetJson("/reports/products?from=2025-11-24&to=2025-11-25&limit=1")["byRevenue"]["EUR"].size(), 1u);
  EXPECT_EQ(GetJson("/reports/products?from=2025-11-25&to=2025-11-25")["byQuantity"],
            Json::parse(R"([{"productId":"sku","quantity":2}])"));

  EXPECT_EQ(GetJson("/reports/funnel?from=2025-11-24&to=2025-11-25"),
            Json::parse(R"({"from":"2025-11-24","to":"2025-11-25","placed":6,"confirmed":1,"delivered":3,
              "cancelled":1,"cancelledByReason":[{"reason":"no stock","orders":1}],
              "medianMinutes":{"placedToConfirmed":3.0,"confirmedToDelivered":62.5}})"));
  EXPECT_EQ(GetJson("/reports/funnel?from=2025-11-26&to=2025-11-26")["medianMinutes"],
            Json::parse(R"({"placedToConfirmed":null,"confirmedToDelivered":null})"));

  auto daily = GetJson("/reports/daily?from=2025-11-24&to=2025-11-24");
  EXPECT_EQ(daily["days"][0]["revenue"], (Json{{"EUR", 950}, {"USD", 300}}));
  auto counts = GetJson("/reports/status-counts");
  EXPECT_EQ(counts["total"], 6);
  EXPECT_EQ(counts["counts"]["delivered"], 3);
  EXPECT_EQ(counts["counts"]["pending"], 2);
}

TEST_F(ProjectionQueryTest, ListsFilterByCreationTime) {
  const auto ids_of = [&](const std::string& path) {
    std::vector<std::string> ids;
    const auto page = GetJson(path);  // held: a range-for over a temporary's member would dangle
    for (const auto& item : page["items"]) ids.push_back(item["orderId"]);
    return ids;
  };
  // Timestamps: both ends inclusive; dates: whole UTC days. (Colons travel percent-encoded: the
  // server's query parser takes what encodeURIComponent leaves alone, and ':' is not among it.)
  EXPECT_EQ(ids_of("/orders?from=2025-11-24T16%3A00%3A01.000Z&to=2025-11-24T16%3A00%3A03.000Z"),
            (std::vector<std::string>{ids_[3], ids_[2], ids_[1]}));
  EXPECT_EQ(ids_of("/orders?from=2025-11-24&to=2025-11-24&customerId=c-0"),
            (std::vector<std::string>{ids_[4], ids_[2], ids_[0]}));
  EXPECT_EQ(ids_of("/orders?from=2025-11-25").size(), 0u);
  EXPECT_EQ(ids_of("/orders?to=2025-11-23").size(), 0u);
  // Paging keeps the range.
  auto first = GetJson("/orders?from=2025-11-24T16%3A00%3A01.000Z&limit=2");
  ASSERT_FALSE(first["nextCursor"].is_null());
  EXPECT_EQ(
      ids_of("/orders?from=2025-11-24T16%3A00%3A01.000Z&limit=2&cursor=" + first["nextCursor"].get<std::string>()),
      (std::vector<std::string>{ids_[2], ids_[1]}));
  ExpectBadRequest("/orders?from=2025-11-25&to=2025-11-24", "from");
  ExpectBadRequest("/orders?from=2025-02-30", "from");
  ExpectBadRequest("/orders?to=yesterday", "to");
}

// Accept: text/csv gives RFC 4180 bodies (header row, CRLF); a list's CSV is one page with the next
// cursor in Next-Cursor; an Accept that names neither JSON nor CSV is 406 problem+json.
TEST_F(ProjectionQueryTest, ListsAndReportsAnswerCsvAndRefuseWhatTheyCannotServe) {
  const auto get = [&](const std::string& path, const std::string& accept) {
    return HttpRequest(service_->port(), "GET", path, {},
                       {{"Authorization", BearerOf(TestToken("ops", "staff"))}, {"Accept", accept}});
  };
  auto page = get("/orders?limit=2", "text/csv");
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(page.body.substr(0, page.body.find("\r\n")),
            "orderId,customerId,status,currency,totalCents,courierId,paymentStatus,version,createdAt,updatedAt,items");
  EXPECT_EQ(std::count(page.body.begin(), page.body.end(), '\n'), 3);
  EXPECT_NE(page.body.find(ids_[4] + ",c-0,pending,USD,300,,pending,1,2025-11-24T16:00:04.000Z"), std::string::npos)
      << page.body;
  EXPECT_NE(page.body.find("\"[{\"\"productId\"\":\"\"sku\"\""), std::string::npos) << page.body;
  ASSERT_FALSE(page.Header("next-cursor").empty());
  auto rest = get("/orders?limit=5&cursor=" + page.Header("next-cursor"), "text/csv");
  EXPECT_EQ(std::count(rest.body.begin(), rest.body.end(), '\n'), 4) << rest.body;
  EXPECT_TRUE(rest.Header("next-cursor").empty());

  auto daily = get("/reports/daily?from=2025-11-24&to=2025-11-25", "text/csv");
  EXPECT_EQ(daily.body,
            "date,placed,delivered,cancelled,currency,revenueCents\r\n2025-11-24,5,0,1,,\r\n"
            "2025-11-25,0,1,0,USD,300\r\n");
  EXPECT_EQ(get("/reports/status-counts", "text/csv").body.substr(0, 15), "status,orders\r\n");
  for (const std::string path :
       {"/reports/products", "/reports/couriers", "/reports/funnel", "/deliveries/open", "/inventory"}) {
    auto csv = get(path, "text/csv;q=0.9, application/xml;q=0.1");
    EXPECT_EQ(csv.status, 200) << path << " " << csv.body;
    EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8") << path;
    auto refused = get(path, "application/xml");
    EXPECT_EQ(refused.status, 406) << path;
    EXPECT_EQ(refused.Header("content-type"), "application/problem+json") << path;
    EXPECT_EQ(get(path, "application/json").Header("content-type").rfind("application/json", 0), 0u) << path;
  }
  EXPECT_EQ(get("/orders", "text/html").status, 406);
}

TEST_F(ProjectionQueryTest, ReportRangesAndLimitsAreCheckedWithTheLimitStated) {
  for (const std::string report : {"daily", "couriers", "funnel", "products"}) {
    const std::string path = "/reports/" + report;
    ExpectBadRequest(path + "?from=2025-11-25&to=2025-11-24", "from");
    ExpectBadRequest(path + "?from=2025-13-01", "from");
    ExpectBadRequest(path + "?to=2025-11-24T16%3A00%3A00.000Z", "to");
    ExpectBadRequest(path + "?from=2020-01-01&to=2025-01-01", "to");
    auto huge = Get(path + "?from=2020-01-01&to=2025-01-01");
    EXPECT_NE(huge.body.find("366 days"), std::string::npos) << huge.body;
    ExpectBadRequest(path + "?courierId=x", "courierId");
  }
  ExpectBadRequest("/reports/products?limit=0", "limit");
  ExpectBadRequest("/reports/products?limit=101", "limit");
  auto over = Get("/reports/products?limit=101");
  EXPECT_NE(over.body.find("1 to 100"), std::string::npos) << over.body;
  EXPECT_EQ(Get("/reports/products?limit=100").status, 200);
}

TEST_F(ProjectionQueryTest, BadParametersAreProblemsWithoutInternalText) {
  ExpectBadRequest("/orders/not-a-uuid", "orderId");
  ExpectBadRequest("/orders/" + ids_[0] + "?minVersion=0", "minVersion");
  ExpectBadRequest("/orders/" + ids_[0] + "?minVersion=abc", "minVersion");
  ExpectBadRequest("/orders?limit=501", "limit");
  ExpectBadRequest("/orders?limit=-1", "limit");
  ExpectBadRequest("/orders?status=lost", "status");
  ExpectBadRequest("/orders?customerId=a%20b", "customerId");
  ExpectBadRequest("/orders?cursor=bogus", "cursor");
  ExpectBadRequest("/orders?cursor=%27%3B%20DROP%20TABLE%20orders", "cursor");
  ExpectBadRequest("/orders?sort=asc", "sort");
  ExpectBadRequest("/orders?limit=1&limit=2", "query");
  ExpectBadRequest("/orders?limit=%zz", "query");
  ExpectBadRequest("/reports/daily?from=2025-02-30", "from");
  ExpectBadRequest("/reports/daily?from=2025-03-02&to=2025-03-01", "from");
  ExpectBadRequest("/reports/status-counts?x=1", "x");
}

TEST_F(ProjectionQueryTest, RoutingOperationalEndpointsAndMetrics) {
  auto unknown = Get("/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.Header("content-type"), "application/problem+json");
  auto wrong_method = HttpRequest(service_->port(), "DELETE", "/orders/" + ids_[0], {}, WithToken());
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("allow"), "GET");
  EXPECT_EQ(HttpRequest(service_->port(), "POST", "/orders", "{}", WithToken()).status, 405);
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
  auto big = HttpRequest(service_->port(), "GET", "/orders?customerId=" + std::string(20000, 'a'), {}, WithToken());
  EXPECT_NE(big.status, 200);

  EXPECT_EQ(Get("/orders/" + ids_[0]).status, 200);
  const std::vector<std::string> names = {"http_requests_total{method=\"GET\",route=\"/orders/{id}\",status=\"200\"}",
                                          "http_request_duration_seconds_bucket", "projection_events_applied_total 7",
                                          "projection_consumer_lag{partition=", "projection_batches_total"};
  const auto metrics = MetricsWhen([&](const std::string& page) {
    return std::all_of(names.begin(), names.end(),
                       [&](const auto& name) { return page.find(name) != std::string::npos; });
  });
  for (const auto& name : names) EXPECT_NE(metrics.find(name), std::string::npos) << name << "\n" << metrics;
}

class ProjectionQueryAuthTest : public ProjectionQueryTest {
 protected:
  ProjectionQueryAuthTest() {
    extra_env_ = {{"JWT_SECRET", kTestJwtSecret}};
    send_token_ = false;
  }

  HttpResponse GetAs(const std::string& path, const std::string& token) {
    return HttpRequest(service_->port(), "GET", path, {}, {{"Authorization", BearerOf(token)}});
  }
};

TEST_F(ProjectionQueryAuthTest, EveryQueryNeedsAValidToken) {
  for (const std::string& path :
       {"/orders/" + ids_[0], std::string("/orders"), std::string("/deliveries/open"),
        std::string("/reports/status-counts"), std::string("/reports/daily"), std::string("/reports/couriers")}) {
    const auto missing = Get(path);
    EXPECT_EQ(missing.status, 401) << path;
    EXPECT_EQ(missing.Header("www-authenticate"), "Bearer") << path;
    EXPECT_EQ(missing.Header("content-type"), "application/problem+json") << path;
    const auto expired = GetAs(path, TestToken("ops", "staff", -std::chrono::seconds(1)));
    EXPECT_EQ(expired.status, 401) << path;
    EXPECT_EQ(expired.Header("www-authenticate"), R"(Bearer error="invalid_token")") << path;
    EXPECT_EQ(
        GetAs(path, TestToken("ops", "staff", std::chrono::hours(1), "forged-with-another-secret-0123456789")).status,
        401)
        << path;
  }
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST_F(ProjectionQueryAuthTest, CustomerReadsOnlyOwnOrders) {
  const std::string c0 = TestToken("c-0", "customer");
  const auto own = GetAs("/orders/" + ids_[0], c0);  // order 0 belongs to c-0
  EXPECT_EQ(own.status, 200) << own.body;
  // Another customer's order is answered exactly as a missing one: no hint that it exists.
  const auto foreign = GetAs("/orders/" + ids_[1], c0);
  const auto missing = GetAs("/orders/00000000-0000-4000-8000-000000000000", c0);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(foreign.body, missing.body);
  EXPECT_EQ(GetAs("/orders/" + ids_[1] + "?minVersion=1", c0).status, 404) << "also when waiting for a version";
  EXPECT_EQ(HttpRequest(service_->port(), "GET", "/orders/" + ids_[2] + "?access_token=" + c0).status, 401)
      << "tokens belong in the Authorization header, not in URLs";

  const auto listed = GetAs("/orders?limit=100", c0);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto items = Json::parse(listed.body)["items"];
  EXPECT_EQ(items.size(), 3u) << "orders 0, 2 and 4 are c-0's";
  for (const auto& item : items) EXPECT_EQ(item["customerId"], "c-0");
  EXPECT_EQ(GetAs("/orders?customerId=c-1", c0).status, 403);
  EXPECT_EQ(GetAs("/reports/status-counts", c0).status, 403);
  EXPECT_EQ(GetAs("/reports/daily", c0).status, 403);
}

TEST_F(ProjectionQueryAuthTest, StaffAndServiceReadEverything) {
  for (const auto& token : {TestToken("ops", "staff"), TestToken("reporting", "service")}) {
    EXPECT_EQ(GetAs("/orders/" + ids_[1], token).status, 200);
    EXPECT_EQ(Json::parse(GetAs("/orders?limit=100", token).body)["items"].size(), 5u);
    EXPECT_EQ(Json::parse(GetAs("/reports/status-counts", token).body)["total"], 5);
    EXPECT_EQ(GetAs("/reports/daily?from=2025-11-24&to=2025-11-25", token).status, 200);
  }
}

// One request per documented (route, status) of schemas/query-openapi.yaml, checked both ways by
// tests/tools/check_openapi.py: every answer is documented, with its content type, and every documented
// answer was seen (but 503, which needs a failing database or a 5 s wait, and 429, which needs a flood).
TEST_F(ProjectionQueryAuthTest, EveryRouteAndStatusMatchesTheQueryOpenApiDocument) {
  const std::string staff = TestToken("ops", "staff");
  const std::string customer = TestToken("c-0", "customer");
  std::string observations;
  auto observe = [&](const std::string& path, const std::string& request, const std::string& token,
                     const std::string& accept = "") {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = BearerOf(token);
    if (!accept.empty()) headers["Accept"] = accept;
    const auto response =
        token.empty() && accept.empty() ? Get(request) : HttpRequest(service_->port(), "GET", request, {}, headers);
    observations += nlohmann::json{{"method", "get"},
                                   {"path", path},
                                   {"status", response.status},
                                   {"contentType", response.Header("content-type")}}
                        .dump() +
                    "\n";
  };
  const std::string order = "/orders/{orderId}";
  observe(order, "/orders/" + ids_[0], staff);
  observe(order, "/orders/" + ids_[0] + "?minVersion=1", staff);
  observe(order, "/orders/not-a-uuid", staff);
  observe(order, "/orders/" + ids_[0], "");
  observe(order, "/orders/" + ids_[1], customer);
  observe(order, "/orders/00000000-0000-4000-8000-000000000000", staff);
  observe("/orders", "/orders?status=pending&limit=2", staff);
  observe("/orders", "/orders?limit=0", staff);
  observe("/orders", "/orders", "");
  observe("/orders", "/orders?customerId=c-1", customer);
  for (const std::string list : {"/orders", "/deliveries/open", "/inventory", "/reports/status-counts",
                                 "/reports/daily", "/reports/couriers", "/reports/products", "/reports/funnel"}) {
    observe(list, list, staff, "text/csv");
    observe(list, list, staff, "image/png");
  }
  const std::string open = "/deliveries/open";
  observe(open, open + "?limit=2", staff);
  observe(open, open + "?limit=0", staff);
  observe(open, open, "");
  observe(open, open, customer);
  const std::string inventory = "/inventory";
  observe(inventory, inventory + "?belowAvailable=5&limit=2", staff);
  observe(inventory, inventory + "?belowAvailable=-1", staff);
  observe(inventory, inventory, "");
  observe(inventory, inventory, customer);
  for (const std::string report :
       {"/reports/status-counts", "/reports/daily", "/reports/couriers", "/reports/products", "/reports/funnel"}) {
    observe(report, report, staff);
    observe(report, report + "?unknown=1", staff);
    observe(report, report, "");
    observe(report, report, customer);
  }
  for (const std::string operational : {"/healthz", "/readyz", "/metrics"}) observe(operational, operational, "");

  const auto check = RunPythonTool("tests/tools/check_openapi.py",
                                   "schemas/query-openapi.yaml --may-be-unobserved 503,429", observations);
  EXPECT_EQ(check.exit_status, 0) << check.output;
}

}  // namespace
}  // namespace orders::testing

// The courier side of the query API against a real projection: courier
// events produced to the broker are folded once (redeliveries change
// nothing), GET /deliveries/open lists what is open oldest first without the
// caller's declines, GET /orders?courierId= filters, and every row of the
// permission table holds.
#include "projection_fixture.hpp"

#include <orders/testing/courier_builders.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using Json = nlohmann::json;

domain::Timestamp Ms(std::int64_t ms) { return domain::Timestamp{std::chrono::milliseconds(ms)}; }

class CourierQueryTest : public ProjectionTest {
 protected:
  CourierQueryTest() {
    extra_env_ = {{"JWT_SECRET", kTestJwtSecret}};
    send_token_ = false;
  }

  // Orders placed one second apart, customer "c-<i % 2>", each walked to:
  //   0 confirmed (open)           5 pending (not open yet)
  //   1 confirmed, declined twice  6 confirmed, taken by courier-1, released (open again)
  //     by courier-1 (open)        7 confirmed, cancelled
  //   2 processing (open)          8 confirmed, courier-1, delivered
  //   3 confirmed, courier-1       9 processing, declined by courier-2 (open)
  //   4 confirmed, courier-2, out_for_delivery     (8: assigned at +1 min, delivered at +21 min)
  void SetUp() override {
    ProjectionTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (int i = 0; i < 10; ++i) {
      ids_.push_back(platform::NewUuid());
      Produce(domain::OrderPlaced{
          ids_[i], 1, Ms(kBase + i * 1000), "c-" + std::to_string(i % 2), {{"sku", 1, 100}}, "USD", 100});
      if (i != 5) Produce(Step(i, 2, Status::kPending, Status::kConfirmed));
    }
    auto declined = Declined(3, "courier-1", ids_[1], Ms(kBase + kMinute));
    declined.reason = "too far";
    Produce(declined);
    Produce(Declined(4, "courier-1", ids_[1], Ms(kBase + kMinute + 1)));
    Produce(Step(2, 3, Status::kConfirmed, Status::kProcessing));
    Produce(Assigned(3, "courier-1", ids_[3], Ms(kBase + kMinute)));
    Produce(Assigned(3, "courier-2", ids_[4], Ms(kBase + kMinute)));
    Produce(Step(4, 4, Status::kConfirmed, Status::kOutForDelivery));
    Produce(Assigned(3, "courier-1", ids_[6], Ms(kBase + kMinute)));
    Produce(Unassigned(4, "courier-1", ids_[6], Ms(kBase + 2 * kMinute)));
    Produce(Step(7, 3, Status::kConfirmed, Status::kCancelled));
    Produce(Assigned(3, "courier-1", ids_[8], Ms(kBase + kMinute)));
    Produce(domain::StatusChanged{ids_[8], 4, Ms(kBase + 21 * kMinute), Status::kConfirmed, Status::kDelivered,
                                  std::nullopt});
    Produce(Step(9, 3, Status::kConfirmed, Status::kProcessing));
    Produce(Declined(4, "courier-2", ids_[9], Ms(kBase + kMinute)));
    Flush();
    StartService();
    WaitReady();
    WaitUntilCaughtUp();
  }

  domain::StatusChanged Step(int order, std::int64_t version, Status from, Status to) {
    return domain::StatusChanged{ids_[order], version, Ms(kBase + order * 1000 + version), from, to, std::nullopt};
  }

  HttpResponse GetAs(const std::string& path, const std::string& token) {
    return HttpRequest(service_->port(), "GET", path, {}, {{"Authorization", BearerOf(token)}});
  }

  Json JsonAs(const std::string& path, const std::string& token, int expected_status = 200) {
    const auto response = GetAs(path, token);
    EXPECT_EQ(response.status, expected_status) << path << " " << response.body;
    auto json = Json::parse(response.body, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << response.body;
    return json;
  }

  // The order ids of a list answer, by their index in ids_ (-1 for an unknown one).
  std::vector<int> Indexes(const Json& page) {
    std::vector<int> indexes;
    for (const auto& item : page.at("items")) {
      const auto it = std::find(ids_.begin(), ids_.end(), item.at("orderId").get<std::string>());
      indexes.push_back(it == ids_.end() ? -1 : static_cast<int>(it - ids_.begin()));
    }
    return indexes;
  }

  // Every page of `path`, `limit` at a time.
  std::vector<int> AllPages(const std::string& path, const std::string& token, int limit, int* pages = nullptr) {
    std::vector<int> seen;
    const std::string first =
        path + (path.find('?') == std::string::npos ? "?" : "&") + "limit=" + std::to_string(limit);
    std::string next = first;
    for (int page = 1; page <= 20; ++page) {
      const auto json = JsonAs(next, token);
      for (int index : Indexes(json)) seen.push_back(index);
      if (pages) *pages = page;
      if (!json.contains("nextCursor") || json["nextCursor"].is_null()) break;
      next = first + "&cursor=" + json["nextCursor"].get<std::string>();
    }
    return seen;
  }

  void ExpectBadRequest(const std::string& path, const std::string& token, const std::string& field) {
    const auto response = GetAs(path, token);
    EXPECT_EQ(response.status, 400) << path << " " << response.body;
    EXPECT_EQ(response.Header("content-type"), "application/problem+json") << path;
    const auto json = Json::parse(response.body, nullptr, false);
    bool named = false;
    for (const auto& error : json.value("errors", Json::array())) named = named || error.value("field", "") == field;
    EXPECT_TRUE(named) << path << " " << response.body;
  }

  static constexpr std::int64_t kBase = 1764000000000;  // 2025-11-24T16:00:00Z
  static constexpr std::int64_t kMinute = 60000;
  const std::string staff_ = TestToken("ops", "staff");
  const std::string service_token_ = TestToken("dispatch", "service");
  const std::string courier1_ = TestToken("courier-1", "courier");
  const std::string courier2_ = TestToken("courier-2", "courier");
  const std::string customer0_ = TestToken("c-0", "customer");
  std::vector<std::string> ids_;
};

TEST_F(CourierQueryTest, CourierEventsAreFoldedIntoTheOrderAndItsHistory) {
  const auto released = JsonAs("/orders/" + ids_[6], staff_);
  EXPECT_TRUE(released["courierId"].is_null());
  EXPECT_EQ(released["version"], 4);
  EXPECT_EQ(released["updatedAt"], codec::FormatTimestamp(Ms(kBase + 2 * kMinute)));
  ASSERT_EQ(released["history"].size(), 4u);
  EXPECT_EQ(released["history"][2], (Json{{"version", 3},
                                          {"event", "order.courier_assigned"},
                                          {"status", "confirmed"},
                                          {"at", codec::FormatTimestamp(Ms(kBase + kMinute))},
                                          {"courierId", "courier-1"}}));
  EXPECT_EQ(released["history"][3]["event"], "order.courier_unassigned");
  EXPECT_EQ(released["history"][3]["courierId"], "courier-1");
  EXPECT_FALSE(released["history"][1].contains("courierId")) << "a status change names no courier";

  const auto out = JsonAs("/orders/" + ids_[4], staff_);
  EXPECT_EQ(out["courierId"], "courier-2");
  EXPECT_EQ(out["status"], "out_for_delivery");

  const auto declined = JsonAs("/orders/" + ids_[1], staff_);
  EXPECT_TRUE(declined["courierId"].is_null());
  EXPECT_EQ(declined["version"], 4) << "every event bumps the version, a repeated decline too";
  EXPECT_EQ(declined["history"][2]["event"], "order.delivery_declined");
  EXPECT_EQ(declined["history"][2]["reason"], "too far");
  EXPECT_EQ(Count("order_declines"), 2) << "courier-1 on order 1 (once), courier-2 on order 9";
  ExpectReadModelEqualsFold();
  ExpectHistoryEqualsFold();
  ExpectSummariesEqualTheStoredHistory();
}

TEST_F(CourierQueryTest, RedeliveredCourierEventsChangeNothing) {
  const auto before = ReadOrders();
  const auto history_rows = Count("order_history");
  // The same events again, as a stale fetch or a producer retry would bring them.
  Produce(Declined(3, "courier-1", ids_[1], Ms(kBase + kMinute)));
  Produce(Assigned(3, "courier-1", ids_[3], Ms(kBase + kMinute)));
  Produce(Assigned(3, "courier-1", ids_[6], Ms(kBase + kMinute)));
  Produce(Unassigned(4, "courier-1", ids_[6], Ms(kBase + 2 * kMinute)));
  Produce(Declined(4, "courier-2", ids_[9], Ms(kBase + kMinute)));
  Flush();
  WaitUntilCaughtUp();
  EXPECT_EQ(ReadOrders(), before);
  EXPECT_EQ(Count("order_history"), history_rows);
  EXPECT_EQ(Count("order_declines"), 2);
  EXPECT_EQ(Count("poison_events"), 0);
  ExpectReadModelEqualsFold();
}

// After a restart the writer knows nothing of the stored orders: it loads
// their courier with their status, keeps it through a status change, and
// refuses (parks) another courier's assignment over it.
TEST_F(CourierQueryTest, AfterARestartTheStoredCourierIsKeptAndEnforced) {
  ASSERT_EQ(service_->Stop(), 0) << service_->LogText();
  StartService();
  WaitReady();
  Produce(Step(3, 4, Status::kConfirmed, Status::kOutForDelivery));
  Produce(Assigned(5, "courier-2", ids_[3], Ms(kBase + 5 * kMinute)));
  Flush();
  WaitUntilCaughtUp();
  const auto order = JsonAs("/orders/" + ids_[3], staff_);
  EXPECT_EQ(order["courierId"], "courier-1");
  EXPECT_EQ(order["status"], "out_for_delivery");
  EXPECT_EQ(order["version"], 4);
  EXPECT_EQ(Count("poison_events"), 1) << "the second courier's assignment is parked";
  ExpectReadModelEqualsFold();
}

TEST_F(CourierQueryTest, OpenDeliveriesAreOldestFirstPagedAndWithoutTheCallersDeclines) {
  // Open: confirmed or processing, no courier: 0, 1, 2, 6 and 9.
  EXPECT_EQ(Indexes(JsonAs("/deliveries/open", staff_)), (std::vector<int>{0, 1, 2, 6, 9}));
  EXPECT_EQ(Indexes(JsonAs("/deliveries/open", service_token_)), (std::vector<int>{0, 1, 2, 6, 9}));
  EXPECT_EQ(Indexes(JsonAs("/deliveries/open", courier1_)), (std::vector<int>{0, 2, 6, 9}));
  EXPECT_EQ(Indexes(JsonAs("/deliveries/open", courier2_)), (std::vector<int>{0, 1, 2, 6}));
  EXPECT_TRUE(JsonAs("/deliveries/open", courier1_)["nextCursor"].is_null());

  int pages = 0;
  EXPECT_EQ(AllPages("/deliveries/open", courier1_, 1, &pages), (std::vector<int>{0, 2, 6, 9}));
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(AllPages("/deliveries/open", staff_, 2, &pages), (std::vector<int>{0, 1, 2, 6, 9}));
  EXPECT_EQ(pages, 3);
  // A page that ends at the last open delivery has no next cursor.
  EXPECT_TRUE(JsonAs("/deliveries/open?limit=4", courier1_)["nextCursor"].is_null());

  // An order that is taken leaves the list; one released comes back, in its place by age.
  Produce(Assigned(3, "courier-2", ids_[0], Ms(kBase + 3 * kMinute)));
  Produce(Unassigned(4, "courier-1", ids_[3], Ms(kBase + 3 * kMinute)));
  Flush();
  WaitUntilCaughtUp();
  EXPECT_EQ(Indexes(JsonAs("/deliveries/open", courier1_)), (std::vector<int>{2, 3, 6, 9}));
  // Declining now takes it out of that courier's list only.
  Produce(Declined(5, "courier-1", ids_[3], Ms(kBase + 4 * kMinute)));
  Flush();
  WaitUntilCaughtUp();
  EXPECT_EQ(Indexes(JsonAs("/deliveries/open", courier1_)), (std::vector<int>{2, 6, 9}));
  EXPECT_EQ(Indexes(JsonAs("/deliveries/open", courier2_)), (std::vector<int>{1, 2, 3, 6}));
}

TEST_F(CourierQueryTest, OrdersFilterByCourierWithTheOtherFilters) {
  EXPECT_EQ(Indexes(JsonAs("/orders?courierId=courier-1", staff_)), (std::vector<int>{8, 3}));
  EXPECT_EQ(Indexes(JsonAs("/orders?courierId=courier-1&status=delivered", staff_)), (std::vector<int>{8}));
  EXPECT_EQ(Indexes(JsonAs("/orders?courierId=courier-1&customerId=c-1", staff_)), (std::vector<int>{3}));
  EXPECT_EQ(Indexes(JsonAs("/orders?courierId=nobody", staff_)), (std::vector<int>{}));
  int pages = 0;
  EXPECT_EQ(AllPages("/orders?courierId=courier-1", staff_, 1, &pages), (std::vector<int>{8, 3}));
  EXPECT_EQ(pages, 2);
  const auto all = JsonAs("/orders?limit=100", staff_);
  ASSERT_EQ(all["items"].size(), 10u);
  for (const auto& item : all["items"]) EXPECT_TRUE(item.contains("courierId")) << item;
}

TEST_F(CourierQueryTest, CourierReportCountsDeliveriesAndTheMedianTimeFromAssignment) {
  // courier-1 delivers order 3 30 minutes after taking it (and order 8 after 20), courier-2 order 4 after 10;
  // order 0 is delivered without a courier and counts for nobody.
  Produce(domain::StatusChanged{ids_[3], 4, Ms(kBase + 11 * kMinute), Status::kConfirmed, Status::kOutForDelivery,
                                std::nullopt});
  Produce(domain::StatusChanged{ids_[3], 5, Ms(kBase + 31 * kMinute), Status::kOutForDelivery, Status::kDelivered,
                                std::nullopt});
  Produce(domain::StatusChanged{ids_[4], 5, Ms(kBase + 11 * kMinute), Status::kOutForDelivery, Status::kDelivered,
                                std::nullopt});
  Produce(
      domain::StatusChanged{ids_[0], 3, Ms(kBase + 5 * kMinute), Status::kConfirmed, Status::kDelivered, std::nullopt});
  Flush();
  WaitUntilCaughtUp();
  // The times come from the summary's histogram (minute_histogram.hpp): 20 and 30 minutes fall in the buckets
  // [20, 22) and [30, 35), 10 minutes in [10, 12); quantiles are interpolated inside their bucket.
  const Json expected = {{"couriers",
                          {{{"courierId", "courier-1"},
                            {"deliveries", 2},
                            {"medianMinutesToDeliver", 30.0},
                            {"p90MinutesToDeliver", 34.0}},
                           {{"courierId", "courier-2"},
                            {"deliveries", 1},
                            {"medianMinutesToDeliver", 11.0},
                            {"p90MinutesToDeliver", 11.8}}}}};
  EXPECT_EQ(JsonAs("/reports/couriers?from=2025-11-24&to=2025-11-24", staff_), expected);
  EXPECT_EQ(JsonAs("/reports/couriers?from=2025-11-20&to=2025-11-30", service_token_), expected);
  EXPECT_EQ(JsonAs("/reports/couriers?from=2025-11-25&to=2025-11-26", staff_), (Json{{"couriers", Json::array()}}));
  EXPECT_EQ(GetAs("/reports/couriers", courier1_).status, 403);
  EXPECT_EQ(GetAs("/reports/couriers", customer0_).status, 403);
  ExpectBadRequest("/reports/couriers?from=2025-11-25&to=2025-11-24", staff_, "from");
  ExpectBadRequest("/reports/couriers?courierId=courier-1", staff_, "courierId");
}

// Each row of the permission table for reading orders, with courier tokens.
TEST_F(CourierQueryTest, ACourierSeesItsOwnDeliveriesAndOpenOnesOnly) {
  for (int visible : {3, 8, 0, 1, 2, 6, 9}) {  // its own (3, 8, even delivered), then every open one
    EXPECT_EQ(GetAs("/orders/" + ids_[visible], courier1_).status, 200) << "order " << visible;
  }
  const auto missing = GetAs("/orders/00000000-0000-4000-8000-000000000000", courier1_);
  EXPECT_EQ(missing.status, 404);
  for (int hidden : {4, 5, 7}) {  // another courier's, not open yet, cancelled
    const auto response = GetAs("/orders/" + ids_[hidden], courier1_);
    EXPECT_EQ(response.status, 404) << "order " << hidden;
    EXPECT_EQ(response.body, missing.body) << "no hint that order " << hidden << " exists";
  }
  EXPECT_EQ(GetAs("/orders/" + ids_[4] + "?minVersion=1", courier1_).status, 404) << "also when waiting";
  EXPECT_EQ(GetAs("/orders/" + ids_[4], courier2_).status, 200);

  // Lists: its own deliveries, whether it names itself or not; another courier's is 403.
  EXPECT_EQ(Indexes(JsonAs("/orders", courier1_)), (std::vector<int>{8, 3}));
  EXPECT_EQ(Indexes(JsonAs("/orders?courierId=courier-1", courier1_)), (std::vector<int>{8, 3}));
  EXPECT_EQ(Indexes(JsonAs("/orders?status=confirmed", courier1_)), (std::vector<int>{3}));
  EXPECT_EQ(Indexes(JsonAs("/orders", courier2_)), (std::vector<int>{4}));
  const auto other = GetAs("/orders?courierId=courier-2", courier1_);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.Header("content-type"), "application/problem+json");
  // No reports for couriers.
  EXPECT_EQ(GetAs("/reports/status-counts", courier1_).status, 403);
  EXPECT_EQ(GetAs("/reports/daily", courier1_).status, 403);
}

TEST_F(CourierQueryTest, CustomersReadTheirOwnOrdersAndNoOpenDeliveries) {
  // c-0 owns the even orders; a courier filter narrows its own list only.
  EXPECT_EQ(Indexes(JsonAs("/orders?courierId=courier-1", customer0_)), (std::vector<int>{8}));
  EXPECT_EQ(GetAs("/orders?customerId=c-1&courierId=courier-1", customer0_).status, 403);
  EXPECT_EQ(JsonAs("/orders/" + ids_[8], customer0_)["courierId"], "courier-1");
  EXPECT_EQ(GetAs("/orders/" + ids_[3], customer0_).status, 404) << "c-1's order, assigned or not";
  const auto open = GetAs("/deliveries/open", customer0_);
  EXPECT_EQ(open.status, 403);
  EXPECT_EQ(open.Header("content-type"), "application/problem+json");
  // Staff and services read every order and list.
  for (const auto& token : {staff_, service_token_}) {
    EXPECT_EQ(GetAs("/orders/" + ids_[4], token).status, 200);
    EXPECT_EQ(Indexes(JsonAs("/orders?courierId=courier-2", token)), (std::vector<int>{4}));
  }
  // Without a token: 401 everywhere.
  for (const std::string path : {"/deliveries/open", "/orders?courierId=courier-1"}) {
    const auto response = HttpRequest(service_->port(), "GET", path);
    EXPECT_EQ(response.status, 401) << path;
    EXPECT_EQ(response.Header("www-authenticate"), "Bearer") << path;
  }
}

TEST_F(CourierQueryTest, BadInputIsAProblemNamingTheParameter) {
  for (const auto& token : {courier1_, staff_}) {
    ExpectBadRequest("/deliveries/open?limit=0", token, "limit");
    ExpectBadRequest("/deliveries/open?limit=501", token, "limit");
    ExpectBadRequest("/deliveries/open?limit=ten", token, "limit");
    ExpectBadRequest("/deliveries/open?cursor=bogus", token, "cursor");
    ExpectBadRequest("/deliveries/open?cursor=%27%3B%20DROP%20TABLE%20orders", token, "cursor");
    ExpectBadRequest("/deliveries/open?courierId=courier-1", token, "courierId");
    ExpectBadRequest("/deliveries/open?limit=1&limit=2", token, "query");
  }
  // The cursor of one list is not a cursor of the other.
  const auto orders_page = JsonAs("/orders?limit=1", staff_);
  ASSERT_TRUE(orders_page["nextCursor"].is_string());
  ExpectBadRequest("/deliveries/open?cursor=" + orders_page["nextCursor"].get<std::string>(), staff_, "cursor");
  const auto open_page = JsonAs("/deliveries/open?limit=1", staff_);
  ASSERT_TRUE(open_page["nextCursor"].is_string());
  ExpectBadRequest("/orders?cursor=" + open_page["nextCursor"].get<std::string>(), staff_, "cursor");
  // A courierId filter must be an identity: 1-64 of [A-Za-z0-9._-].
  for (const std::string bad : {"a%20b", "%C3%A9", "a%2Fb", ""}) {
    ExpectBadRequest("/orders?courierId=" + bad, staff_, "courierId");
  }
  ExpectBadRequest("/orders?courierId=" + std::string(65, 'c'), staff_, "courierId");
  ExpectBadRequest("/orders?courierId=" + std::string(65, 'c'), courier1_, "courierId");
}

}  // namespace
}  // namespace orders::testing

// The inventory side of a real projection: inventory events produced to the broker's inventory topic are
// folded into the read model once (a redelivered record, a restart change nothing), records that do not
// fit are parked like order ones, and GET /inventory lists the tracked products by productId with
// belowAvailable, limit and cursor, for staff and services only.
#include "projection_fixture.hpp"
#include "run_command.hpp"

#include <orders/projection/cursor.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kBase = 1764000000000;  // 2025-11-24T16:00:00Z
domain::Timestamp Ms(std::int64_t ms) { return domain::Timestamp{std::chrono::milliseconds(ms)}; }

class InventoryQueryTest : public ProjectionTest {
 protected:
  void SetUp() override {
    ProjectionTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    order_a_ = platform::NewUuid();
    order_b_ = platform::NewUuid();
    order_c_ = platform::NewUuid();
  }

  std::int64_t StockOffsetsTotal() {
    try {
      auto connection = Connect();
      pqxx::work tx(connection);
      return tx
          .exec1("SELECT coalesce(sum(next_offset), 0) FROM " + Table("consumer_offsets") +
                 " WHERE topic = " + tx.quote(inventory_topic_))[0]
          .as<std::int64_t>();
    } catch (const std::exception&) {
      return -1;
    }
  }

  void WaitUntilStockCaughtUp() {
    Flush();
    ASSERT_TRUE(Eventually([&] { return StockOffsetsTotal() == stock_produced_; }, std::chrono::seconds(30)))
        << "stored " << StockOffsetsTotal() << " of " << stock_produced_ << "\n"
        << service_->LogText();
  }

  HttpResponse GetAs(const std::string& path, const std::string& token) {
    return HttpRequest(service_->port(), "GET", path, {}, {{"Authorization", BearerOf(token)}});
  }

  Json JsonOf(const std::string& path) {
    const auto response = Get(path);
    EXPECT_EQ(response.status, 200) << path << " " << response.body;
    auto json = Json::parse(response.body, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << response.body;
    return json;
  }

  // The item of `product` in the first page of GET /inventory (null when absent).
  Json Item(const std::string& product) {
    const auto page = JsonOf("/inventory?limit=500");
    for (const auto& item : page.at("items")) {
      if (item.at("productId") == product) return item;
    }
    return nullptr;
  }

  static Json Level(const std::string& product, std::int64_t on_hand, std::int64_t reserved, std::int64_t available,
                    std::int64_t version, std::int64_t at_ms) {
    return {{"productId", product},   {"onHand", on_hand},  {"reserved", reserved},
            {"available", available}, {"version", version}, {"updatedAt", codec::FormatTimestamp(Ms(at_ms))}};
  }

  // Waits until the product's row reads `expected`.
  void ExpectLevel(const Json& expected) {
    Json seen;
    const bool reached = Eventually(
        [&] {
          seen = Item(expected.at("productId").get<std::string>());
          return seen == expected;
        },
        std::chrono::seconds(15));
    EXPECT_TRUE(reached) << "expected " << expected.dump() << "\nsaw " << seen.dump();
  }

  std::vector<std::string> ProductIds(const Json& page) {
    std::vector<std::string> ids;
    for (const auto& item : page.at("items")) ids.push_back(item.at("productId").get<std::string>());
    return ids;
  }

  // One product per (id, onHand): each set once, so available = onHand.
  void TrackProducts(const std::vector<std::pair<std::string, std::int64_t>>& products) {
    for (const auto& [id, on_hand] : products) ProduceStock(domain::StockSet{id, 1, Ms(kBase), on_hand});
  }

  std::int64_t ParkedOnInventoryTopic() {
    auto connection = Connect();
    pqxx::work tx(connection);
    return tx
        .exec1("SELECT count(*) FROM " + Table("poison_events") + " WHERE topic = " + tx.quote(inventory_topic_))[0]
        .as<std::int64_t>();
  }

  std::string order_a_, order_b_, order_c_;
};

TEST_F(InventoryQueryTest, SetReserveReleaseAndCommitAreSeenLiveInGetInventory) {
  StartService();
  WaitReady();
  ProduceStock(domain::StockSet{"sku-a", 1, Ms(kBase + 1), 10});
  Flush();
  ExpectLevel(Level("sku-a", 10, 0, 10, 1, kBase + 1));

  ProduceStock(domain::StockReserved{"sku-a", 2, Ms(kBase + 2), order_a_, 3});
  ProduceStock(domain::StockReserved{"sku-a", 3, Ms(kBase + 3), order_b_, 4});
  Flush();
  ExpectLevel(Level("sku-a", 10, 7, 3, 3, kBase + 3));

  ProduceStock(domain::StockReleased{"sku-a", 4, Ms(kBase + 4), order_a_, 3});  // order A cancelled
  Flush();
  ExpectLevel(Level("sku-a", 10, 4, 6, 4, kBase + 4));

  ProduceStock(domain::StockCommitted{"sku-a", 5, Ms(kBase + 5), order_b_, 4});  // order B delivered
  ProduceStock(domain::ReservationRefused{"sku-a", 6, Ms(kBase + 6), order_c_, 7, 6});
  Flush();
  ExpectLevel(Level("sku-a", 6, 0, 6, 6, kBase + 6));

  // A count below what is reserved: available is 0, never negative.
  ProduceStock(domain::StockReserved{"sku-a", 7, Ms(kBase + 7), platform::NewUuid(), 5});
  ProduceStock(domain::StockSet{"sku-a", 8, Ms(kBase + 8), 2});
  Flush();
  ExpectLevel(Level("sku-a", 2, 5, 0, 8, kBase + 8));
  EXPECT_EQ(ParkedOnInventoryTopic(), 0);
  EXPECT_EQ(Count("inventory_reservations"), 4) << "one row per order and product, whatever became of it";
}

TEST_F(InventoryQueryTest, BelowAvailableListsOnlyProductsWithLessAvailable) {
  TrackProducts({{"p-0", 0}, {"p-5", 5}, {"p-10", 10}});
  ProduceStock(domain::StockReserved{"p-10", 2, Ms(kBase + 2), order_a_, 8});  // available 2
  StartService();
  WaitReady();
  WaitUntilStockCaughtUp();
  EXPECT_EQ(ProductIds(JsonOf("/inventory")), (std::vector<std::string>{"p-0", "p-10", "p-5"}));
  EXPECT_EQ(ProductIds(JsonOf("/inventory?belowAvailable=5")), (std::vector<std::string>{"p-0", "p-10"}));
  EXPECT_EQ(ProductIds(JsonOf("/inventory?belowAvailable=2")), (std::vector<std::string>{"p-0"}));
  EXPECT_EQ(ProductIds(JsonOf("/inventory?belowAvailable=0")), std::vector<std::string>{});
  EXPECT_EQ(ProductIds(JsonOf("/inventory?belowAvailable=1000000000")).size(), 3u);
  const auto low = JsonOf("/inventory?belowAvailable=3");
  ASSERT_EQ(low.at("items").size(), 2u);
  EXPECT_EQ(low["items"][1], Level("p-10", 10, 8, 2, 2, kBase + 2));
  EXPECT_TRUE(low.at("nextCursor").is_null());
}

TEST_F(InventoryQueryTest, PagesFollowProductIdsInByteOrderWithoutGapsOrRepeats) {
  // Byte order puts digits before upper case before lower case, whatever the database's locale.
  const std::vector<std::string> sorted = {"0", "9", "A-1", "B", "a", "b.2", "z_9"};
  for (const auto& id : {"b.2", "A-1", "z_9", "0", "a", "B", "9"}) TrackProducts({{id, 4}});
  StartService();
  WaitReady();
  WaitUntilStockCaughtUp();
  std::vector<std::string> seen;
  std::vector<std::size_t> sizes;
  std::string path = "/inventory?limit=3";
  for (int page = 0; page < 5; ++page) {
    const auto json = JsonOf(path);
    const auto ids = ProductIds(json);
    sizes.push_back(ids.size());
    seen.insert(seen.end(), ids.begin(), ids.end());
    if (json.at("nextCursor").is_null()) break;
    path = "/inventory?limit=3&cursor=" + json["nextCursor"].get<std::string>();
  }
  EXPECT_EQ(seen, sorted);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1}));
  // A filter combines with the cursor: the next page of the low-stock list stays a low-stock list.
  const auto first = JsonOf("/inventory?limit=2&belowAvailable=5");
  EXPECT_EQ(ProductIds(first), (std::vector<std::string>{"0", "9"}));
  const auto second = JsonOf("/inventory?limit=2&belowAvailable=5&cursor=" + first["nextCursor"].get<std::string>());
  EXPECT_EQ(ProductIds(second), (std::vector<std::string>{"A-1", "B"}));
  EXPECT_EQ(JsonOf("/inventory").at("items").size(), 7u) << "limit defaults to 50";
}

TEST_F(InventoryQueryTest, MalformedParametersAreProblems) {
  StartService();
  WaitReady();
  const std::string orders_cursor = projection::EncodeCursor({Ms(kBase), order_a_});
  for (const auto& [query, field] :
       std::vector<std::pair<std::string, std::string>>{{"belowAvailable=-1", "belowAvailable"},
                                                        {"belowAvailable=abc", "belowAvailable"},
                                                        {"belowAvailable=1000000001", "belowAvailable"},
                                                        {"belowAvailable=", "belowAvailable"},
                                                        {"belowAvailable=2.5", "belowAvailable"},
                                                        {"limit=0", "limit"},
                                                        {"limit=501", "limit"},
                                                        {"cursor=not-a-cursor", "cursor"},
                                                        {"cursor=" + orders_cursor, "cursor"},
                                                        {"lowStock=1", "lowStock"}}) {
    const auto response = Get("/inventory?" + query);
    EXPECT_EQ(response.status, 400) << query << " " << response.body;
    EXPECT_EQ(response.Header("content-type"), "application/problem+json") << query;
    const auto json = Json::parse(response.body, nullptr, false);
    bool named = false;
    for (const auto& error : json.value("errors", Json::array())) named = named || error.value("field", "") == field;
    EXPECT_TRUE(named) << query << " " << response.body;
  }
}

TEST_F(InventoryQueryTest, OnlyStaffAndServicesReadTheInventory) {
  TrackProducts({{"sku-r", 1}});
  StartService();
  WaitReady();
  WaitUntilStockCaughtUp();
  EXPECT_EQ(GetAs("/inventory", TestToken("ops", "staff")).status, 200);
  EXPECT_EQ(GetAs("/inventory", TestToken("checkout", "service")).status, 200);
  for (const char* role : {"customer", "courier"}) {
    const auto refused = GetAs("/inventory", TestToken("someone", role));
    EXPECT_EQ(refused.status, 403) << role;
    EXPECT_EQ(refused.Header("content-type"), "application/problem+json") << role;
    EXPECT_EQ(refused.body.find("sku-r"), std::string::npos) << role;
  }
  send_token_ = false;
  const auto missing = Get("/inventory");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.Header("www-authenticate"), "Bearer");
}

TEST_F(InventoryQueryTest, ARedeliveredRecordAndARestartApplyEachEventOnce) {
  ProduceStock(domain::StockSet{"sku-d", 1, Ms(kBase + 1), 10});
  const auto reserve =
      codec::EncodeEvent(domain::StockEvent{domain::StockReserved{"sku-d", 2, Ms(kBase + 2), order_a_, 3}},
                         {platform::NewUuid(), "/projection-test", std::nullopt, std::nullopt});
  ProduceStockRaw(reserve.key, reserve.value, reserve.headers);
  ProduceStockRaw(reserve.key, reserve.value, reserve.headers);  // the same record again (a producer retry)
  StartService();
  WaitReady();
  WaitUntilStockCaughtUp();
  ExpectLevel(Level("sku-d", 10, 3, 7, 2, kBase + 2));
  const auto page =
      MetricsWhen([](const std::string& text) { return MetricValue(text, "projection_events_duplicate_total") >= 1; });
  EXPECT_GE(MetricValue(page, "projection_events_duplicate_total"), 1);
  EXPECT_EQ(ParkedOnInventoryTopic(), 0) << "a redelivery is no gap";

  // Stopped and started again, the service reads on from the offsets stored with the rows.
  ASSERT_EQ(service_->Stop(), 0);
  ProduceStock(domain::StockReleased{"sku-d", 3, Ms(kBase + 3), order_a_, 3});
  ASSERT_TRUE(service_->Start()) << service_->LogText();
  WaitReady();
  WaitUntilStockCaughtUp();
  ExpectLevel(Level("sku-d", 10, 0, 10, 3, kBase + 3));
  EXPECT_EQ(ParkedOnInventoryTopic(), 0);
}

TEST_F(InventoryQueryTest, UndecodableRecordsGapsAndRuleBreaksAreParkedAndTheRestApplies) {
  ProduceStock(domain::StockSet{"sku-p", 1, Ms(kBase + 1), 5});
  ProduceStockRaw("sku-p", "{not json", {});
  ProduceStock(domain::StockReleased{"sku-p", 2, Ms(kBase + 2), order_a_, 1});  // nothing reserved: invalid
  ProduceStock(domain::StockSet{"sku-p", 4, Ms(kBase + 4), 9});                 // a gap
  StartService();
  WaitReady();
  WaitUntilStockCaughtUp();
  EXPECT_EQ(ParkedOnInventoryTopic(), 3);
  ExpectLevel(Level("sku-p", 5, 0, 5, 1, kBase + 1));
  ProduceStock(domain::StockSet{"sku-p", 2, Ms(kBase + 22), 8});  // the real version 2
  WaitUntilStockCaughtUp();
  ExpectLevel(Level("sku-p", 8, 0, 8, 2, kBase + 22));
  const auto page = MetricsWhen([](const std::string& text) {
    return MetricValue(text, R"(projection_events_parked_total{reason="invalid"})") >= 1;
  });
  EXPECT_EQ(MetricValue(page, R"(projection_events_parked_total{reason="poison"})"), 1);
  EXPECT_EQ(MetricValue(page, R"(projection_events_parked_total{reason="invalid"})"), 1);
  EXPECT_EQ(MetricValue(page, R"(projection_events_parked_total{reason="gap"})"), 1);
  EXPECT_NE(page.find("projection_consumer_lag{partition=\"0\",topic=\"" + inventory_topic_ + "\"}"),
            std::string::npos);
}

// The payment events of an order are history rows that name them (order side of the same work).
TEST_F(InventoryQueryTest, OrderHistoryNamesThePaymentEvents) {
  const std::string id = platform::NewUuid();
  Produce(domain::OrderPlaced{id, 1, Ms(kBase), "c-1", {{"sku-a", 1, 500}}, "USD", 500});
  Produce(domain::PaymentAuthorized{id, 2, Ms(kBase + 1), "pay-1", 500});
  Produce(domain::StatusChanged{id, 3, Ms(kBase + 2), domain::Status::kPending, domain::Status::kCancelled,
                                std::string("changed mind")});
  Produce(domain::PaymentRefunded{id, 4, Ms(kBase + 3), "pay-1", 500});
  const std::string declined = platform::NewUuid();
  Produce(domain::OrderPlaced{declined, 1, Ms(kBase), "c-1", {{"sku-a", 1, 500}}, "USD", 500});
  Produce(domain::PaymentDeclined{declined, 2, Ms(kBase + 1), "insufficient_funds"});
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  const auto order = JsonOf("/orders/" + id);
  std::vector<std::string> events;
  for (const auto& row : order.at("history")) events.push_back(row.at("event").get<std::string>());
  EXPECT_EQ(events, (std::vector<std::string>{"order.placed", "order.payment_authorized", "order.status_changed",
                                              "order.payment_refunded"}));
  EXPECT_EQ(order.at("payment"), (Json{{"status", "refunded"}, {"paymentId", "pay-1"}, {"amountCents", 500}}));
  const auto other = JsonOf("/orders/" + declined);
  ASSERT_EQ(other.at("history").size(), 2u);
  EXPECT_EQ(other["history"][1]["event"], "order.payment_declined");
  EXPECT_EQ(other["history"][1]["reason"], "insufficient_funds");
}

}  // namespace
}  // namespace orders::testing

namespace orders::testing {
namespace {

using Json = nlohmann::json;

// Readiness follows the orders stream: a deployment whose inventory topic does not exist (yet) still
// projects and answers orders, and lists no products.
class MissingInventoryTopicTest : public ProjectionTest {
 protected:
  MissingInventoryTopicTest() { extra_env_ = {{"INVENTORY_TOPIC", UniqueName("never-created")}}; }
};

TEST_F(MissingInventoryTopicTest, TheServiceIsReadyAndProjectsOrdersWithoutAnInventoryTopic) {
  const std::string id = platform::NewUuid();
  Produce(domain::OrderPlaced{id, 1, Ms(kBase), "c-1", {{"sku-a", 1, 500}}, "USD", 500});
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  EXPECT_EQ(Get("/orders/" + id).status, 200);
  const auto inventory = Get("/inventory");
  EXPECT_EQ(inventory.status, 200) << inventory.body;
  EXPECT_EQ(Json::parse(inventory.body, nullptr, false), (Json{{"items", Json::array()}, {"nextCursor", nullptr}}));

  // A rebuild replays the orders and says there is no inventory to replay.
  const auto rebuild = RunCommand(ProjectionServiceBinary(), {"rebuild"}, Environment(), std::chrono::seconds(60));
  EXPECT_EQ(rebuild.exit_code, 0) << rebuild.output;
  EXPECT_NE(rebuild.output.find("is not available; nothing of it to replay"), std::string::npos) << rebuild.output;
  EXPECT_NE(rebuild.output.find("rebuild: switched in"), std::string::npos) << rebuild.output;
  ASSERT_TRUE(Eventually([&] { return Get("/orders/" + id).status == 200; }, std::chrono::seconds(15)));
  try {
    auto connection = Connect();
    pqxx::work tx(connection);
    for (const auto& row :
         tx.exec_params("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", schema_ + "__")) {
      tx.exec0("DROP SCHEMA " + tx.quote_name(row[0].as<std::string>()) + " CASCADE");
    }
    tx.commit();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop the rebuild's schemas: " << e.what();
  }
}

}  // namespace
}  // namespace orders::testing

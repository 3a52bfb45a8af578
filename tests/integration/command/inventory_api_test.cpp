// PUT / GET /inventory/{productId} against a real broker: the inventory stream
// on its own topic (INVENTORY_TOPIC), written by the command service.
#include "command_fixture.hpp"

#include <set>
#include <thread>

#include <orders/codec/inventory_codec.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

std::map<std::string, std::string> As(const std::string& role, const std::string& subject,
                                      std::map<std::string, std::string> headers = {}) {
  headers["Authorization"] = BearerOf(TestToken(subject, role));
  return headers;
}

// The stock events of the topic, decoded (every record must decode).
std::vector<domain::StockEvent> StockEvents(const std::string& topic) {
  std::vector<domain::StockEvent> events;
  for (const auto& record : ReadWholeTopic(topic)) {
    auto decoded = codec::DecodeStockEvent(record.key, record.value, record.headers);
    EXPECT_TRUE(decoded.decoded) << decoded.error;
    if (decoded.decoded) events.push_back(decoded.decoded->event);
  }
  return events;
}

TEST_F(CommandServiceTest, SetStockAnswersTheLevelAndGetReadsIt) {
  AwaitInventoryWriter("sku-1", R"({"onHand":12})");
  const auto second = PutStock("sku-1", R"({"onHand":15})");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(json::parse(second.body),
            json::parse(R"({"productId":"sku-1","onHand":15,"reserved":0,"available":15,"version":2})"));
  const auto read = Get("/inventory/sku-1");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.body, second.body);
  EXPECT_EQ(Get("/inventory/never-set").status, 404);

  const auto records = ReadWholeTopic(inventory_topic_);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "sku-1");
  EXPECT_EQ(records[0].partition, records[1].partition) << "one product, one partition";
  bool valid = false;
  EXPECT_TRUE((ValidateAgainstSchemas(records, valid), valid)) << ValidateAgainstSchemas(records, valid);
  EXPECT_EQ(*codec::FindHeader(records[1].headers, "orders_actor"), "service:tests-service");
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 0u) << "nothing on the orders topic";
}

TEST_F(CommandServiceTest, OnlyStaffAndServicesSetStockAndEveryRoleReadsIt) {
  AwaitInventoryWriter("sku-2", R"({"onHand":3})");
  EXPECT_EQ(PutStock("sku-2", R"({"onHand":9})", As("customer", "customer-1", kJson)).status, 403);
  EXPECT_EQ(PutStock("sku-2", R"({"onHand":9})", As("courier", "courier-1", kJson)).status, 403);
  const auto by_staff = PutStock("sku-2", R"({"onHand":4})", As("staff", "ops", kJson));
  EXPECT_EQ(by_staff.status, 200) << by_staff.body;
  for (const auto& [role, subject] : std::vector<std::pair<std::string, std::string>>{
           {"customer", "customer-1"}, {"courier", "courier-1"}, {"staff", "ops"}, {"service", "shop"}}) {
    const auto read = HttpRequest(service_->port(), "GET", "/inventory/sku-2", {}, As(role, subject));
    EXPECT_EQ(read.status, 200) << role;
    EXPECT_EQ(json::parse(read.body).value("onHand", -1), 4) << role;
  }
  EXPECT_EQ(HttpRequest(service_->port(), "GET", "/inventory/sku-2", {}, {}).status, 401);
  EXPECT_EQ(HttpRequest(service_->port(), "PUT", "/inventory/sku-2", R"({"onHand":1})", kJson).status, 401);
  EXPECT_EQ(StockEvents(inventory_topic_).size(), 2u) << "refused writers appended nothing";
}

TEST_F(CommandServiceTest, BadStockRequestsAreRefusedAndAppendNothing) {
  AwaitInventoryWriter("sku-3", R"({"onHand":5})");
  for (const char* body :
       {R"({"onHand":-1})", R"({"onHand":1000000001})", R"({"onHand":1.5})", R"({"onHand":"7"})", R"({"onHand":1e2})",
        R"({})", R"({"onHand":7,"reserved":0})", R"({"onHand":99999999999999999999999})", "[7]", "{"}) {
    const auto response = PutStock("sku-3", body);
    EXPECT_EQ(response.status, 400) << body << " -> " << response.body;
    EXPECT_EQ(response.Header("content-type"), "application/problem+json") << body;
  }
  for (const std::string& product : std::vector<std::string>{"sku%203", "caf%C3%A9", std::string(65, 'a')}) {
    EXPECT_EQ(PutStock(product, R"({"onHand":1})").status, 400) << product;
  }
  EXPECT_EQ(PutStock("sku-3", R"({"onHand":1})", {{"Content-Type", "text/plain"}}).status, 415);
  const auto unknown = PutStock("sku-3", R"({"onHand":-2,"extra":true})");
  ASSERT_EQ(unknown.status, 400);
  EXPECT_EQ(json::parse(unknown.body)["errors"].size(), 2u) << unknown.body;
  EXPECT_EQ(TotalEndOffset(inventory_topic_), 1) << "only the first, valid level was appended";
  EXPECT_EQ(json::parse(Get("/inventory/sku-3").body).value("version", 0), 1);
}

TEST_F(CommandServiceTest, StockSurvivesACommandServiceRestart) {
  AwaitInventoryWriter("sku-4", R"({"onHand":20})");
  for (const char* product : {"sku-5", "sku-6"}) ASSERT_EQ(PutStock(product, R"({"onHand":7})").status, 200);
  ASSERT_EQ(PutStock("sku-4", R"({"onHand":21})").status, 200);
  std::map<std::string, std::string> before;
  for (const char* product : {"sku-4", "sku-5", "sku-6"})
    before[product] = Get(std::string("/inventory/") + product).body;

  ASSERT_EQ(StopService(), 0);
  StartService();
  ASSERT_TRUE(Eventually([&] { return Get("/inventory/sku-4").status == 200; }, std::chrono::seconds(30)));
  for (const auto& [product, body] : before) EXPECT_EQ(Get("/inventory/" + product).body, body) << product;
  AwaitInventoryWriter("sku-4", R"({"onHand":22})");
  EXPECT_EQ(json::parse(Get("/inventory/sku-4").body).value("version", 0), 3) << "the next version after the rebuild";
}

TEST_F(CommandServiceTest, ConcurrentStockLevelsOnOneProductGetGaplessVersions) {
  AwaitInventoryWriter("sku-7", R"({"onHand":0})");
  constexpr int kWriters = 24;
  std::vector<std::thread> threads;
  std::vector<HttpResponse> answers(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] { answers[i] = PutStock("sku-7", R"({"onHand":)" + std::to_string(100 + i) + "}"); });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::int64_t> versions;
  for (const auto& answer : answers) {
    ASSERT_EQ(answer.status, 200) << answer.body;
    versions.insert(json::parse(answer.body).value("version", 0));
  }
  EXPECT_EQ(versions.size(), static_cast<std::size_t>(kWriters)) << "every answer names its own version";
  EXPECT_EQ(*versions.begin(), 2);
  EXPECT_EQ(*versions.rbegin(), kWriters + 1);

  const auto events = StockEvents(inventory_topic_);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kWriters + 1));
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(domain::VersionOf(events[i]), static_cast<std::int64_t>(i + 1)) << "gapless, in order";
  }
  // The last event in the log is the level every reader sees.
  const auto last = std::get<domain::StockSet>(events.back());
  EXPECT_EQ(json::parse(Get("/inventory/sku-7").body).value("onHand", -1), last.on_hand);
}

}  // namespace
}  // namespace orders::testing

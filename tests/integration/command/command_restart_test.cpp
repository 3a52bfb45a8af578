#include "command_fixture.hpp"

#include <thread>

#include <orders/codec/event_codec.hpp>
#include <orders/domain/evolve.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

TEST_F(CommandServiceTest, SigtermExitsCleanly) { EXPECT_EQ(StopService(), 0) << service_->LogText(); }

TEST_F(CommandServiceTest, StateRebuiltAfterRestartEqualsStateBefore) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(PlaceOrder());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i % 2 == 0) {
      ASSERT_EQ(Put(ids[i], R"({"status":"confirmed"})").status, 200);
    }
    if (i % 3 == 0) {
      ASSERT_EQ(Put(ids[i], R"({"status":"cancelled","reason":"changed mind"})").status, 200);
    }
  }
  std::map<std::string, std::string> before;
  for (const auto& id : ids) before[id] = Get("/orders/" + id).body;

  ASSERT_EQ(StopService(), 0);
  StartService();
  for (const auto& id : ids) EXPECT_EQ(Get("/orders/" + id).body, before[id]) << id;
  EXPECT_EQ(Put(ids[0], R"({"status":"shipped"})").status, 409) << "rebuilt state still enforces the lifecycle";
}

TEST_F(CommandServiceTest, IdempotentRetrySurvivesARestart) {
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "checkout-42"}};
  const auto first = Post(OrderBody(), key);
  ASSERT_EQ(first.status, 201);

  ASSERT_EQ(StopService(), 0);
  StartService();
  const auto retry = Post(OrderBody(), key);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(json::parse(retry.body)["orderId"], json::parse(first.body)["orderId"]);
  EXPECT_EQ(Post(OrderBody("someone-else"), key).status, 422);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 1u);
}

// IDEMPOTENCY_RETENTION bounds how long a key is remembered, across restarts too (a rebuild does not
// bring back a key whose placement is older than it): a retry after it is a new order.
class IdempotencyRetentionTest : public CommandServiceTest {
 protected:
  void SetUp() override {
    extra_env_["IDEMPOTENCY_RETENTION"] = "5s";  // long enough for the restart below to stay within it
    CommandServiceTest::SetUp();
  }
};

TEST_F(IdempotencyRetentionTest, ARetryWithinTheRetentionMeetsTheOrderAndOneAfterItPlacesANewOne) {
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "checkout-7"}};
  const auto first = Post(OrderBody(), key);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto retry = Post(OrderBody(), key);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(json::parse(retry.body)["orderId"], json::parse(first.body)["orderId"]);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 1u);

  std::this_thread::sleep_for(std::chrono::milliseconds(5500));
  const auto late = Post(OrderBody(), key);
  ASSERT_EQ(late.status, 201) << late.body;
  EXPECT_NE(json::parse(late.body)["orderId"], json::parse(first.body)["orderId"]);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 2u);
  const auto metrics = Get("/metrics").body;
  EXPECT_NE(metrics.find("orders_command_idempotency_keys 1\n"), std::string::npos) << metrics;

  // After a restart the rebuilt state keeps the new placement's key and not the expired one's.
  ASSERT_EQ(StopService(), 0);
  StartService();
  const auto after_restart = Post(OrderBody(), key);
  ASSERT_EQ(after_restart.status, 201) << after_restart.body;
  EXPECT_EQ(json::parse(after_restart.body)["orderId"], json::parse(late.body)["orderId"]);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 2u);
}

TEST(RetentionSettingsAtStart, AMalformedIdempotencyRetentionRefusesToStartTheCommandService) {
  ServiceProcess service(CommandServiceBinary(),
                         {{"AUTH", "off"}, {"KAFKA_BROKERS", "127.0.0.1:1"}, {"IDEMPOTENCY_RETENTION", "forever"}});
  EXPECT_FALSE(service.Start(std::chrono::seconds(10)));
  EXPECT_NE(service.LogText().find("IDEMPOTENCY_RETENTION must be a duration"), std::string::npos) << service.LogText();
  EXPECT_FALSE(service.running());
}

TEST_F(CommandServiceTest, ConcurrentStatusChangesOnOneOrderKeepTheLogValid) {
  const auto id = PlaceOrder();
  const char* statuses[] = {"confirmed", "processing", "shipped", "out_for_delivery", "delivered", "cancelled"};
  std::vector<std::thread> threads;
  std::vector<int> codes(32);
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      codes[i] = Put(id, std::string(R"({"status":")") + statuses[i % 6] + "\"}", {{"If-Match", "\"1\""}}).status;
    });
  }
  for (auto& thread : threads) thread.join();
  const int winners = static_cast<int>(std::count(codes.begin(), codes.end(), 200));
  EXPECT_GE(winners, 1);
  for (int code : codes) EXPECT_TRUE(code == 200 || code == 409 || code == 412) << code;

  std::optional<domain::Order> folded;
  for (const auto& record : ReadWholeTopic(topic_)) {
    const auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(decoded.decoded);
    ASSERT_EQ(domain::Apply(folded, decoded.decoded->event), domain::ApplyOutcome::kApplied)
        << "duplicate, gap or forbidden transition in the log";
  }
  EXPECT_EQ(folded->version, 2) << "If-Match \"1\" lets exactly one change through";
  // Same-status repeats of the winner's status are no-ops answered 200.
  EXPECT_EQ(json::parse(Get("/orders/" + id).body)["version"], 2);
}

TEST_F(CommandServiceTest, ConcurrentUnconditionalChangesNeverProduceAnInvalidLog) {
  const auto id = PlaceOrder();
  const char* statuses[] = {"confirmed", "processing", "shipped", "out_for_delivery", "delivered", "cancelled"};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] { Put(id, std::string(R"({"status":")") + statuses[(i * 5) % 6] + "\"}"); });
  }
  for (auto& thread : threads) thread.join();
  std::optional<domain::Order> folded;
  for (const auto& record : ReadWholeTopic(topic_)) {
    const auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(decoded.decoded);
    ASSERT_EQ(domain::Apply(folded, decoded.decoded->event), domain::ApplyOutcome::kApplied);
  }
  EXPECT_EQ(json::parse(Get("/orders/" + id).body)["version"], folded->version);
}

}  // namespace
}  // namespace orders::testing

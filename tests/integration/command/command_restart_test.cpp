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

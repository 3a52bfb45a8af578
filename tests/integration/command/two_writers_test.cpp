#include "command_fixture.hpp"

#include <set>
#include <thread>

#include <orders/codec/event_codec.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

std::string OrderWithId(const std::string& id) {
  return R"({"orderId":")" + id +
         R"(","customerId":"c","items":[{"productId":"p","quantity":1,"unitPriceCents":100}]})";
}

// Every event of the topic folds cleanly: no duplicate, no gap, no forbidden transition.
void ExpectValidLog(const std::string& topic) {
  std::map<std::string, std::optional<domain::Order>> orders;
  for (const auto& record : ReadWholeTopic(topic)) {
    const auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(decoded.decoded) << decoded.error;
    ASSERT_EQ(domain::Apply(orders[record.key], decoded.decoded->event), domain::ApplyOutcome::kApplied)
        << "order " << record.key << " version " << domain::VersionOf(decoded.decoded->event);
  }
}

class TwoWritersTest : public CommandServiceTest {
 protected:
  void SetUp() override {
    CommandServiceTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    auto env = extra_env_;  // the same settings as the first instance
    env["ORDERS_TOPIC"] = topic_;
    env["INVENTORY_TOPIC"] = inventory_topic_;
    second_ = std::make_unique<ServiceProcess>(CommandServiceBinary(), env);
    ASSERT_TRUE(second_->Start()) << second_->LogText();
    // Both instances are ready only once the group has split the partitions between them.
    ASSERT_TRUE(Eventually(
        [&] {
          return HttpRequest(second_->port(), "GET", "/readyz").status == 200 && Get("/readyz").status == 200 &&
                 OwnedPartitions(service_->port()) + OwnedPartitions(second_->port()) == 6 &&
                 OwnedPartitions(second_->port()) > 0 && OwnedPartitions(service_->port()) > 0;
        },
        std::chrono::seconds(30)))
        << service_->LogText() << second_->LogText();
    // And each knows where the other's orders go: a read of an unknown order is forwarded and answered 404.
    ASSERT_TRUE(Eventually(
        [&] {
          for (int i = 0; i < 12; ++i) {
            const std::string path = "/orders/" + platform::NewUuid();
            for (const auto port : {service_->port(), second_->port()}) {
              if (HttpRequest(port, "GET", path, {}, WithToken()).status != 404) return false;
            }
          }
          return true;
        },
        std::chrono::seconds(30)))
        << service_->LogText() << second_->LogText();
  }

  // As if another instance had forwarded it: the receiving instance decides
  // itself (503 when it does not write the order) instead of forwarding.
  static HttpResponse PostOnlyTo(std::uint16_t port, const std::string& body,
                                 std::map<std::string, std::string> headers = WithToken()) {
    headers["Orders-Forwarded-By"] = "http://127.0.0.1:9";
    return HttpRequest(port, "POST", "/orders", body, headers);
  }

  static double Forwarded(std::uint16_t port, const std::string& stream = "orders") {
    const auto metrics = HttpRequest(port, "GET", "/metrics").body;
    const std::string name = "\norders_command_forwarded_total{outcome=\"relayed\",stream=\"" + stream + "\"} ";
    const auto at = metrics.find(name);
    return at == std::string::npos ? 0 : std::atof(metrics.c_str() + at + name.size());
  }

  static int OwnedPartitions(std::uint16_t port) {
    const auto metrics = HttpRequest(port, "GET", "/metrics").body;
    const std::string name = "\norders_command_owned_partitions ";
    const auto at = metrics.find(name);
    return at == std::string::npos ? -1 : std::atoi(metrics.c_str() + at + name.size());
  }

  std::unique_ptr<ServiceProcess> second_;
};

class TwoWritersWithAuthTest : public TwoWritersTest {
 protected:
  void SetUp() override {
    extra_env_["JWT_SECRET"] = kTestJwtSecret;
    TwoWritersTest::SetUp();
  }
  HttpResponse PostWithKey(const std::string& body, const std::string& key) {
    return PostWithKeyTo(service_->port(), body, key);
  }
  static HttpResponse PostWithKeyTo(std::uint16_t port, const std::string& body, const std::string& key) {
    return HttpRequest(port, "POST", "/orders", body,
                       {{"Content-Type", "application/json"},
                        {"Idempotency-Key", key},
                        {"Authorization", BearerOf(TestToken("ops", "staff"))}});
  }
};

// A POST refused because another instance writes the order's partition
// appended nothing: its Idempotency-Key stays free for a corrected retry
// (it used to stay reserved, and the retry got 422).
TEST_F(TwoWritersWithAuthTest, KeyOfAPostRefusedAsNotOwnerIsFreeForACorrectedRetry) {
  std::string key;
  HttpResponse refused;
  for (int i = 0; i < 100 && refused.status != 503; ++i) {
    key = "not-owner-" + platform::NewUuid();  // a 201 uses its key: a fresh one per try
    refused = PostOnlyTo(service_->port(), OrderWithId(platform::NewUuid()),
                         {{"Content-Type", "application/json"},
                          {"Idempotency-Key", key},
                          {"Authorization", BearerOf(TestToken("ops", "staff"))}});
    ASSERT_TRUE(refused.status == 503 || refused.status == 201) << refused.status << " " << refused.body;
  }
  ASSERT_EQ(refused.status, 503);
  // The corrected body: the client drops its orderId. The order then goes to
  // the key's partition, which either instance writes or forwards to.
  const std::string corrected = R"({"customerId":"c2","items":[{"productId":"p","quantity":2,"unitPriceCents":100}]})";
  EXPECT_EQ(PostWithKeyTo(service_->port(), corrected, key).status, 201);
}

// Without an orderId, an instance chooses one in a partition it writes:
// whichever instance a client reaches places the order.
TEST_F(TwoWritersWithAuthTest, AnOrderPostedWithoutAnIdIsPlacedByWhicheverInstanceReceivesIt) {
  const std::string body = R"({"customerId":"c","items":[{"productId":"p","quantity":1,"unitPriceCents":100}]})";
  for (int i = 0; i < 40; ++i) {
    const auto port = i % 2 ? second_->port() : service_->port();
    const auto placed =
        HttpRequest(port, "POST", "/orders", body,
                    {{"Content-Type", "application/json"}, {"Authorization", BearerOf(TestToken("ops", "staff"))}});
    EXPECT_EQ(placed.status, 201) << "instance " << i % 2 << ": " << placed.body;
  }
  ExpectValidLog(topic_);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 40u);
}

// A keyed POST without an orderId goes to the key's partition: its retries
// meet the same writer, which holds the key, whichever instance they reach
// first (the other forwards them), so a retry never places a second order.
TEST_F(TwoWritersWithAuthTest, RetriesOfAKeyedPostThroughBothInstancesPlaceOneOrder) {
  const std::string body = R"({"customerId":"c","items":[{"productId":"p","quantity":1,"unitPriceCents":100}]})";
  for (int k = 0; k < 10; ++k) {
    const std::string key = "retried-" + platform::NewUuid();
    std::set<std::string> placed_ids;
    int placed = 0;
    for (int attempt = 0; attempt < 6; ++attempt) {
      const auto port = attempt % 2 ? second_->port() : service_->port();
      const auto answer = PostWithKeyTo(port, body, key);
      ASSERT_EQ(answer.status, 201) << answer.body;
      ++placed;
      placed_ids.insert(json::parse(answer.body).value("orderId", ""));
    }
    EXPECT_EQ(placed, 6) << key << ": the instance writing the key's partition answers every retry";
    EXPECT_EQ(placed_ids.size(), 1u) << key;
  }
  ExpectValidLog(topic_);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 10u);
}

TEST_F(TwoWritersTest, EachOrderIsWrittenByExactlyOneInstance) {
  int by_first = 0, by_second = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string id = platform::NewUuid();
    const auto first = PostOnlyTo(service_->port(), OrderWithId(id));
    const auto second = PostOnlyTo(second_->port(), OrderWithId(id));
    // One instance owns the order's partition and creates it; the other refuses
    // (503 before the order exists for it, or 409 once its follower saw the order).
    const bool first_wrote = first.status == 201;
    const bool second_wrote = second.status == 201;
    EXPECT_NE(first_wrote, second_wrote) << first.status << " " << second.status;
    by_first += first_wrote;
    by_second += second_wrote;
  }
  EXPECT_GT(by_first, 0);
  EXPECT_GT(by_second, 0);
  ExpectValidLog(topic_);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 60u);
}

// Any instance answers any command: one for an order the other instance
// writes is forwarded to it, and its answer relayed (the writer decides, so
// the second placement of an id is a 409 wherever it arrives).
TEST_F(TwoWritersTest, ACommandForAnOrderTheOtherInstanceWritesIsForwardedToItAndAnswered) {
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    const std::string id = platform::NewUuid();
    ASSERT_EQ(Post(OrderWithId(id)).status, 201);
    EXPECT_EQ(HttpRequest(second_->port(), "POST", "/orders", OrderWithId(id), WithToken()).status, 409);
    ids.push_back(id);
  }
  EXPECT_GT(Forwarded(service_->port()), 0);
  EXPECT_GT(Forwarded(second_->port()), 0);
  for (const auto& id : ids) {
    const auto moved = HttpRequest(second_->port(), "PUT", "/orders/" + id + "/status", R"({"status":"confirmed"})",
                                   WithToken({{"If-Match", "\"1\""}}));
    ASSERT_EQ(moved.status, 200) << moved.body;
    // Read at once through either instance: the writer's answer, never a follower's older version.
    for (const auto port : {service_->port(), second_->port()}) {
      const auto read = HttpRequest(port, "GET", "/orders/" + id, {}, WithToken());
      ASSERT_EQ(read.status, 200) << read.body;
      EXPECT_EQ(json::parse(read.body)["version"], 2);
      EXPECT_EQ(read.headers.count("etag") ? read.headers.at("etag") : "", "\"2\"");
    }
  }
  ExpectValidLog(topic_);
  EXPECT_EQ(ReadWholeTopic(topic_).size(), 80u);
}

// Stock levels too: a PUT or GET for a product the other instance writes is
// forwarded to that product's writer, so either instance answers every product.
TEST_F(TwoWritersTest, AStockLevelSetOrReadThroughEitherInstanceIsAnsweredByTheProductsWriter) {
  const auto set = [](std::uint16_t port, const std::string& product, int on_hand) {
    return HttpRequest(port, "PUT", "/inventory/" + product, R"({"onHand":)" + std::to_string(on_hand) + "}",
                       WithToken({{"Content-Type", "application/json"}}));
  };
  // Until the inventory writer group has settled and each instance knows its writers, a product may
  // have no writer yet (503): wait until a read of any product through either instance is answered
  // by its writer (404 for one never counted).
  ASSERT_TRUE(Eventually(
      [&] {
        for (int i = 0; i < 12; ++i) {
          const std::string path = "/inventory/sku-unknown-" + platform::NewUuid();
          for (const auto port : {service_->port(), second_->port()}) {
            if (HttpRequest(port, "GET", path, {}, WithToken()).status != 404) return false;
          }
        }
        return true;
      },
      std::chrono::seconds(30)))
      << service_->LogText() << second_->LogText();
  const auto appended_before = ReadWholeTopic(inventory_topic_).size();

  std::vector<std::string> products;
  for (int i = 0; i < 24; ++i) products.push_back("sku-fwd-" + std::to_string(i) + "-" + platform::NewUuid());
  for (std::size_t i = 0; i < products.size(); ++i) {
    const auto port = i % 2 == 0 ? service_->port() : second_->port();
    const auto answer = set(port, products[i], static_cast<int>(i) + 5);
    ASSERT_EQ(answer.status, 200) << answer.body;
  }
  for (std::size_t i = 0; i < products.size(); ++i) {
    for (const auto port : {service_->port(), second_->port()}) {
      const auto read = HttpRequest(port, "GET", "/inventory/" + products[i], {}, WithToken());
      ASSERT_EQ(read.status, 200) << read.body;
      EXPECT_EQ(json::parse(read.body)["onHand"], static_cast<int>(i) + 5);
    }
  }
  EXPECT_GT(Forwarded(service_->port(), "inventory"), 0);
  EXPECT_GT(Forwarded(second_->port(), "inventory"), 0);
  // One stock count per product: forwarding appended nothing twice.
  EXPECT_EQ(ReadWholeTopic(inventory_topic_).size(), appended_before + products.size());
}

TEST_F(TwoWritersTest, ConcurrentCommandsThroughBothInstancesKeepTheLogValid) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    const std::string id = platform::NewUuid();
    if (Post(OrderWithId(id)).status != 201) {
      ASSERT_EQ(HttpRequest(second_->port(), "POST", "/orders", OrderWithId(id), WithToken()).status, 201);
    }
    ids.push_back(id);
  }
  const char* statuses[] = {"confirmed", "processing", "shipped", "out_for_delivery", "delivered", "cancelled"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::uint16_t port = t % 2 ? service_->port() : second_->port();
      for (int i = 0; i < 30; ++i) {
        const auto& id = ids[static_cast<std::size_t>((i + t) % 10)];
        HttpRequest(port, "PUT", "/orders/" + id + "/status",
                    std::string(R"({"status":")") + statuses[(i * 7 + t) % 6] + "\"}", WithToken());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ExpectValidLog(topic_);
}

TEST_F(TwoWritersTest, WhenOneInstanceStopsTheOtherTakesOverItsOrders) {
  std::vector<std::string> written_by_first;
  for (int i = 0; i < 30 && written_by_first.size() < 5; ++i) {
    const std::string id = platform::NewUuid();
    if (PostOnlyTo(service_->port(), OrderWithId(id)).status == 201) written_by_first.push_back(id);
  }
  ASSERT_FALSE(written_by_first.empty());
  ASSERT_EQ(StopService(), 0);
  ASSERT_TRUE(Eventually([&] { return OwnedPartitions(second_->port()) == 6; }, std::chrono::seconds(30)))
      << second_->LogText();
  for (const auto& id : written_by_first) {
    std::optional<HttpResponse> response;
    ASSERT_TRUE(Eventually(
        [&] {
          response = HttpRequest(second_->port(), "PUT", "/orders/" + id + "/status", R"({"status":"confirmed"})",
                                 WithToken());
          return response->status != 503;
        },
        std::chrono::seconds(15)));
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(json::parse(response->body)["version"], 2) << "the new owner decided on the previous owner's state";
  }
  ExpectValidLog(topic_);
}

}  // namespace
}  // namespace orders::testing

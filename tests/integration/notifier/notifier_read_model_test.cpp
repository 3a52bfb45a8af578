// The notifier's cache on a small byte budget beside a real projection: an
// order the cache dropped is answered from the read model (PostgreSQL) over
// WebSocket and over event streams, an order in neither is not_found, and an
// unreachable read model is `unavailable`, never not_found.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/sse_client.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/ws_client.hpp>
#include <pqxx/pqxx>

namespace orders::testing {
namespace {

using domain::Status;
using nlohmann::json;

// The value of one series on a /metrics page; -1 when absent.
double Metric(std::uint16_t port, const std::string& series) {
  std::istringstream lines(HttpRequest(port, "GET", "/metrics").body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

long RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class NotifierReadModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    topic_ = UniqueName("nrm");
    inventory_topic_ = UniqueName("nrm-inventory");
    ASSERT_EQ(CreateTopic(topic_, 3), "");
    ASSERT_EQ(CreateTopic(inventory_topic_, 1), "");
    schema_ = UniqueName("nrm");
    std::replace(schema_.begin(), schema_.end(), '-', '_');
    auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "notifier-read-model-test", "", {}});
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
  }

  void TearDown() override {
    notifier_.reset();
    projection_.reset();
    try {
      pqxx::connection connection(DatabaseUrl());
      pqxx::work tx(connection);
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
      tx.commit();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop schema " << schema_ << ": " << e.what();
    }
  }

  std::map<std::string, std::string> Common() const {
    return {{"KAFKA_BROKERS", KafkaBrokers()},
            {"DATABASE_URL", DatabaseUrl()},
            {"ORDERS_TOPIC", topic_},
            {"INVENTORY_TOPIC", inventory_topic_},
            {"READ_MODEL_SCHEMA", schema_}};
  }

  void StartProjection() {
    auto env = Common();
    env["CONSUMER_GROUP"] = UniqueName("nrm-group");
    projection_ = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), env);
    ASSERT_TRUE(projection_->Start()) << projection_->LogText();
  }

  // A notifier whose cache holds a few dozen orders.
  void StartNotifier(std::map<std::string, std::string> extra = {}) {
    auto env = Common();
    env["NOTIFIER_CACHE_BYTES"] = "64KiB";
    env["WEBHOOKS"] = "off";
    env["COMMAND_API_URL"] = "http://127.0.0.1:9";
    env["SSE_HEARTBEAT_MS"] = "300";
    for (auto& [name, value] : extra) env[name] = value;
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), env);
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                           std::chrono::seconds(30)))
        << notifier_->LogText();
  }

  void Produce(const domain::Event& event) {
    const auto record =
        codec::EncodeEvent(event, {platform::NewUuid(), "/test", std::nullopt, std::nullopt, std::nullopt});
    ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers,
                                   [this](const platform::DeliveryReport&) { ++delivered_; }));
    ++produced_;
  }

  void WaitDelivered() {
    ASSERT_TRUE(Eventually([&] { return delivered_.load() == produced_; }, std::chrono::seconds(30)));
  }

  // An order placed by `customer` and taken to delivered (version 4), then enough orders
  // after it that the notifier's budget drops it; returns its id once the notifier has
  // dropped something and the read model holds it.
  std::string DeliveredThenCrowdedOut(const std::string& customer = "customer-1") {
    const std::string id = platform::NewUuid();
    auto placed = Placed(id, At(1764000000000));
    placed.customer_id = customer;
    Produce(placed);
    Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
    Produce(Changed(3, Status::kConfirmed, Status::kShipped, id));
    Produce(Changed(4, Status::kShipped, Status::kDelivered, id));
    for (int i = 0; i < 150; ++i) Produce(Placed(platform::NewUuid(), At(1764000001000 + i)));
    WaitDelivered();
    EXPECT_TRUE(Eventually([&] { return Metric(notifier_->port(), "orders_notifier_cache_evictions_total") > 0; },
                           std::chrono::seconds(30)))
        << notifier_->LogText();
    if (projection_) {
      EXPECT_TRUE(Eventually(
          [&] {
            const auto answer = HttpRequest(projection_->port(), "GET", "/orders/" + id, {}, WithToken());
            return answer.status == 200 && json::parse(answer.body)["version"] == 4;
          },
          std::chrono::seconds(30)))
          << projection_->LogText();
    }
    return id;
  }

  // Every order after the delivered one must still be in the notifier's log position.
  bool NotifierHasRead(std::size_t events) {
    return Metric(notifier_->port(), "orders_notifier_events_total") >= static_cast<double>(events);
  }

  WsClient Connect(const std::string& role = "staff", const std::string& subject = "ops") {
    WsClient client;
    EXPECT_EQ(client.Connect(notifier_->port(), "/ws", {{"Authorization", BearerOf(TestToken(subject, role))}}), 101);
    return client;
  }

  std::string topic_, inventory_topic_, schema_;
  std::unique_ptr<platform::KafkaProducer> producer_;
  std::atomic<std::size_t> delivered_{0};
  std::size_t produced_ = 0;
  std::unique_ptr<ServiceProcess> projection_;
  std::unique_ptr<ServiceProcess> notifier_;
};

TEST_F(NotifierReadModelTest, ADroppedOrderIsFollowedAndResumedFromTheReadModelOverWebSocket) {
  StartProjection();
  StartNotifier();
  const std::string id = DeliveredThenCrowdedOut();
  ASSERT_TRUE(Eventually([&] { return NotifierHasRead(produced_); }, std::chrono::seconds(30)));

  auto client = Connect();
  ASSERT_TRUE(client.SendText(R"({"type":"subscribe","orderId":")" + id + "\"}"));
  const auto snapshot = client.ReceiveJson(std::chrono::seconds(2));
  ASSERT_EQ(snapshot["type"], "snapshot") << snapshot.dump() << "\n" << notifier_->LogText();
  EXPECT_EQ(snapshot["order"]["orderId"], id);
  EXPECT_EQ(snapshot["order"]["status"], "delivered");
  EXPECT_EQ(snapshot["order"]["version"], 4);
  EXPECT_EQ(snapshot["order"]["customerId"], "customer-1");
  EXPECT_FALSE(snapshot.contains("recovered"));

  auto resumed = Connect();
  ASSERT_TRUE(resumed.SendText(R"({"type":"subscribe","orderId":")" + id + R"(","sinceVersion":2})"));
  const auto resume = resumed.ReceiveJson(std::chrono::seconds(2));
  EXPECT_EQ(resume["type"], "snapshot") << resume.dump();
  EXPECT_EQ(resume["recovered"], false) << "history the cache dropped: a snapshot, as when it is gone";
  EXPECT_EQ(resume["order"]["version"], 4);

  // A customer sees its own dropped order; another customer's is not_found, like a missing one.
  auto owner = Connect("customer", "customer-1");
  ASSERT_TRUE(owner.SendText(id));
  EXPECT_EQ(owner.ReceiveJson(std::chrono::seconds(2)), (json{{"orderId", id}, {"status", "delivered"}}));
  auto stranger = Connect("customer", "customer-2");
  ASSERT_TRUE(stranger.SendText(R"({"type":"subscribe","orderId":")" + id + "\"}"));
  EXPECT_EQ(stranger.ReceiveJson(std::chrono::seconds(6))["code"], "not_found");

  EXPECT_GE(Metric(notifier_->port(), "orders_notifier_read_model_lookups_total{outcome=\"found\"}"), 2);
  EXPECT_LE(Metric(notifier_->port(), "orders_notifier_cache_bytes"), 64 * 1024);
  EXPECT_EQ(Metric(notifier_->port(), "orders_notifier_cache_budget_bytes"), 64 * 1024);
  std::cout << "notifier RSS with a 64 KiB cache budget reached: " << RssKb(notifier_->pid()) << " kB\n";
}

TEST_F(NotifierReadModelTest, ALiveOrderCrowdedOutOfTheCacheStillGetsItsUpdates) {
  StartProjection();
  StartNotifier();
  const std::string id = platform::NewUuid();
  Produce(Placed(id, At(1764000000000)));
  WaitDelivered();
  auto client = Connect();
  ASSERT_TRUE(client.SendText(R"({"type":"subscribe","orderId":")" + id + "\"}"));
  const auto snapshot = client.ReceiveJson(std::chrono::seconds(5));
  ASSERT_EQ(snapshot["type"], "snapshot") << snapshot.dump() << "\n" << notifier_->LogText();

  // Only live orders after it: the budget has nothing finished to drop first, so it goes.
  for (int i = 0; i < 150; ++i) Produce(Placed(platform::NewUuid(), At(1764000001000 + i)));
  WaitDelivered();
  ASSERT_TRUE(Eventually([&] { return NotifierHasRead(produced_); }, std::chrono::seconds(30)));
  ASSERT_TRUE(Eventually([&] { return Metric(notifier_->port(), "orders_notifier_cache_evictions_total") > 0; },
                         std::chrono::seconds(10)));

  Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
  Produce(Changed(3, Status::kConfirmed, Status::kShipped, id));
  WaitDelivered();
  // Each version once, in order: updates, or (when the projection got there first) a snapshot
  // not marked recovered and the updates after it.
  std::int64_t seen = 1;
  while (seen < 3) {
    const auto message = client.ReceiveJson(std::chrono::seconds(10));
    ASSERT_TRUE(message["type"] == "update" || message["type"] == "snapshot") << message.dump() << "\n"
                                                                              << notifier_->LogText();
    const std::int64_t version = message["type"] == "update" ? message["version"].get<std::int64_t>()
                                                             : message["order"]["version"].get<std::int64_t>();
    if (message["type"] == "snapshot") EXPECT_EQ(message["recovered"], false);
    ASSERT_GT(version, seen) << message.dump();
    if (message["type"] == "update") EXPECT_EQ(version, seen + 1) << "no version skipped";
    seen = version;
  }
  EXPECT_FALSE(client.Receive(std::chrono::milliseconds(500)).has_value()) << "and nothing twice";
  EXPECT_GE(Metric(notifier_->port(), "orders_notifier_revivals_total{outcome=\"in_step\"}") +
                Metric(notifier_->port(), "orders_notifier_revivals_total{outcome=\"newer_state\"}"),
            1);
}

TEST_F(NotifierReadModelTest, ADroppedOrderIsStreamedFromTheReadModelWithLastEventId) {
  StartProjection();
  StartNotifier();
  const std::string id = DeliveredThenCrowdedOut();
  ASSERT_TRUE(Eventually([&] { return NotifierHasRead(produced_); }, std::chrono::seconds(30)));

  SseClient fresh;
  ASSERT_EQ(fresh.Open(notifier_->port(), "/events?orderId=" + id, WithToken()), 200);
  auto event = fresh.NextEvent(std::chrono::seconds(2));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "snapshot");
  EXPECT_EQ(event->Json()["order"]["version"], 4);

  SseClient resumed;
  ASSERT_EQ(resumed.Open(notifier_->port(), "/events?orderId=" + id, WithToken({{"Last-Event-ID", id + ":2"}})), 200);
  event = resumed.NextEvent(std::chrono::seconds(2));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "snapshot");
  EXPECT_EQ(event->Json()["recovered"], false);
  EXPECT_EQ(event->Json()["order"]["status"], "delivered");
}

TEST_F(NotifierReadModelTest, AnOrderInNeitherTheCacheNorTheReadModelIsNotFound) {
  StartProjection();
  StartNotifier();
  DeliveredThenCrowdedOut();
  const std::string unknown = platform::NewUuid();
  auto client = Connect();
  ASSERT_TRUE(client.SendText(R"({"type":"subscribe","orderId":")" + unknown + "\"}"));
  const auto answer = client.ReceiveJson(std::chrono::seconds(6));
  EXPECT_EQ(answer["type"], "error");
  EXPECT_EQ(answer["code"], "not_found");
  SseClient stream;
  ASSERT_EQ(stream.Open(notifier_->port(), "/events?orderId=" + unknown, WithToken()), 200);
  const auto event = stream.NextEvent(std::chrono::seconds(6));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "error");
  EXPECT_EQ(event->Json()["code"], "not_found");
  EXPECT_GE(Metric(notifier_->port(), "orders_notifier_read_model_lookups_total{outcome=\"absent\"}"), 2);
}

TEST_F(NotifierReadModelTest, IdsThatAreNotUuidsAreRefusedBeforeAnyLookup) {
  StartProjection();
  StartNotifier();
  DeliveredThenCrowdedOut();
  auto client = Connect();
  for (const std::string text : {R"({"type":"subscribe","orderId":"1' OR '1'='1"})",
                                 R"({"type":"subscribe","orderId":"6F1C2B7E-8A4D-4E3B-9C1A-2D3E4F5A6B7C"})",
                                 R"("x'); DROP TABLE orders; --")"}) {
    ASSERT_TRUE(client.SendText(text));
    EXPECT_EQ(client.ReceiveJson(std::chrono::seconds(2))["code"], "bad_request") << text;
  }
  SseClient stream;
  EXPECT_EQ(stream.Open(notifier_->port(), "/events?orderId=1%27%20OR%20%271%27%3D%271", WithToken()), 400);
  for (const std::string outcome : {"found", "absent", "failed", "timed_out"}) {
    EXPECT_EQ(Metric(notifier_->port(), "orders_notifier_read_model_lookups_total{outcome=\"" + outcome + "\"}"), 0)
        << outcome;
  }
}

TEST_F(NotifierReadModelTest, AnUnreachableReadModelIsUnavailableNeverNotFound) {
  // No projection, and a database URL nothing listens on.
  StartNotifier({{"DATABASE_URL", "postgresql://orders@127.0.0.1:9/orders"},
                 {"NOTIFIER_READ_MODEL_LOOKUP", "on"},
                 {"NOTIFIER_LOOKUP_TIMEOUT_MS", "2000"}});
  const std::string id = DeliveredThenCrowdedOut();
  ASSERT_TRUE(Eventually([&] { return NotifierHasRead(produced_); }, std::chrono::seconds(30)));
  auto client = Connect();
  ASSERT_TRUE(client.SendText(R"({"type":"subscribe","orderId":")" + id + "\"}"));
  const auto answer = client.ReceiveJson(std::chrono::seconds(8));
  EXPECT_EQ(answer["type"], "error") << answer.dump();
  EXPECT_EQ(answer["code"], "unavailable") << answer.dump();
  ASSERT_TRUE(client.SendText(R"({"type":"ping"})"));
  EXPECT_EQ(client.ReceiveJson()["type"], "pong") << "the connection carries on";
  SseClient stream;
  ASSERT_EQ(stream.Open(notifier_->port(), "/events?orderId=" + id, WithToken()), 200);
  const auto event = stream.NextEvent(std::chrono::seconds(8));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "error");
  EXPECT_EQ(event->Json()["code"], "unavailable");
  EXPECT_TRUE(stream.WaitForEnd()) << "the stream ends; EventSource reconnects by itself";
}

TEST(NotifierCacheConfigTest, ABadBudgetOrLookupSettingStopsTheStartNamingEach) {
  ServiceProcess notifier(NotifierBinary(), {{"NOTIFIER_CACHE_BYTES", "12 MB"},
                                             {"NOTIFIER_READ_MODEL_LOOKUP", "sometimes"},
                                             {"NOTIFIER_LOOKUP_TIMEOUT_MS", "0"}});
  EXPECT_FALSE(notifier.Start(std::chrono::seconds(5)));
  for (const std::string name : {"NOTIFIER_CACHE_BYTES", "NOTIFIER_READ_MODEL_LOOKUP", "NOTIFIER_LOOKUP_TIMEOUT_MS"}) {
    EXPECT_NE(notifier.LogText().find(name + " must be"), std::string::npos) << name << "\n" << notifier.LogText();
  }
}

}  // namespace
}  // namespace orders::testing

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/ws_client.hpp>

namespace orders::testing {
namespace {

using domain::Status;
using nlohmann::json;

long RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("notif");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "notifier-test", "", {}});
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
    StartNotifier();
  }

  void StartNotifier() {
    auto env = extra_env_;
    env["ORDERS_TOPIC"] = topic_;
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), env);
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                           std::chrono::seconds(30)))
        << notifier_->LogText();
  }

  void Produce(const domain::Event& event) {
    const auto record = codec::EncodeEvent(event, {platform::NewUuid(), "/test", std::nullopt, std::nullopt});
    std::atomic<bool> done{false};
    ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers,
                                   [&](const platform::DeliveryReport&) { done = true; }));
    ASSERT_TRUE(Eventually([&] { return done.load(); }));
  }

  std::unique_ptr<WsClient> Connect() {
    auto client = std::make_unique<WsClient>();
    EXPECT_EQ(client->Connect(notifier_->port(), "/ws", WithToken()), 101);
    return client;
  }

  static std::string Subscribe(const std::string& id, std::optional<int> since = std::nullopt) {
    json message{{"type", "subscribe"}, {"orderId", id}};
    if (since) message["sinceVersion"] = *since;
    return message.dump();
  }

  std::map<std::string, std::string> extra_env_;
  std::string topic_;
  std::unique_ptr<platform::KafkaProducer> producer_;
  std::unique_ptr<ServiceProcess> notifier_;
};

TEST_F(NotifierTest, SubscriberGetsSnapshotThenEveryUpdateInOrderExactlyOnce) {
  const std::string id = platform::NewUuid();
  Produce(Placed(id));
  auto client = Connect();
  client->SendText(Subscribe(id));
  auto snapshot = client->ReceiveJson();
  ASSERT_EQ(snapshot["type"], "snapshot") << snapshot.dump();
  EXPECT_EQ(snapshot["order"]["version"], 1);
  Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
  Produce(Changed(3, Status::kConfirmed, Status::kShipped, id));
  Produce(Changed(3, Status::kConfirmed, Status::kShipped, id));  // a duplicate in the log
  Produce(Changed(4, Status::kShipped, Status::kDelivered, id));
  for (int version : {2, 3, 4}) {
    auto update = client->ReceiveJson();
    ASSERT_EQ(update["type"], "update") << update.dump();
    EXPECT_EQ(update["version"], version);
  }
  EXPECT_FALSE(client->Receive(std::chrono::milliseconds(300))) << "no duplicate";
}

TEST_F(NotifierTest, SubscribeRightAfterThePlacementNeverSaysNotFound) {
  const std::string id = platform::NewUuid();
  auto client = Connect();
  client->SendText(Subscribe(id));  // before the event exists
  Produce(Placed(id));
  auto snapshot = client->ReceiveJson();
  EXPECT_EQ(snapshot["type"], "snapshot") << snapshot.dump();
}

TEST_F(NotifierTest, UnknownOrderIsNotFoundAfterTheWait) {
  auto client = Connect();
  client->SendText(Subscribe(platform::NewUuid()));
  auto error = client->ReceiveJson(std::chrono::seconds(6));
  EXPECT_EQ(error["code"], "not_found") << error.dump();
}

TEST_F(NotifierTest, ResumeAfterANotifierRestartReplaysWhatWasMissed) {
  const std::string id = platform::NewUuid();
  Produce(Placed(id));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
  ASSERT_EQ(notifier_->Stop(), 0) << notifier_->LogText();
  Produce(Changed(3, Status::kConfirmed, Status::kProcessing, id));
  Produce(Changed(4, Status::kProcessing, Status::kShipped, id));
  StartNotifier();
  auto client = Connect();
  client->SendText(Subscribe(id, 2));
  EXPECT_EQ(client->ReceiveJson()["version"], 3);
  EXPECT_EQ(client->ReceiveJson()["version"], 4);
}

TEST_F(NotifierTest, BareOrderIdLookupAnswersWithStatus) {
  const std::string id = platform::NewUuid();
  Produce(Placed(id));
  auto client = Connect();
  client->SendText(id);
  EXPECT_EQ(client->ReceiveJson(), (json{{"orderId", id}, {"status", "pending"}}));
  client->SendText("\"" + platform::NewUuid() + "\"");
  EXPECT_EQ(client->ReceiveJson(std::chrono::seconds(6)), (json{{"error", "Order not found"}}));
}

TEST_F(NotifierTest, BadJsonGetsAnErrorAndTheConnectionStaysOpen) {
  auto client = Connect();
  client->SendText("{\"type\":");
  EXPECT_EQ(client->ReceiveJson()["code"], "bad_request");
  client->SendText(R"({"type":"ping"})");
  EXPECT_EQ(client->ReceiveJson()["type"], "pong");
}

TEST_F(NotifierTest, HostileFramesAreClosedWithTheirCodes) {
  {
    auto client = Connect();
    client->SendRaw(notifier::EncodeFrame(notifier::Opcode::kText, R"({"type":"ping"})"));  // unmasked
    EXPECT_EQ(client->WaitForClose(), 1002);
  }
  {
    auto client = Connect();
    client->SendRaw(
        notifier::EncodeFrame(notifier::Opcode::kText, "\xC3\x28", true, std::array<std::uint8_t, 4>{1, 2, 3, 4}));
    EXPECT_EQ(client->WaitForClose(), 1007);
  }
  {
    auto client = Connect();
    client->SendRaw(notifier::EncodeFrame(notifier::Opcode::kText, std::string(70 * 1024, 'x'), true,
                                          std::array<std::uint8_t, 4>{1, 2, 3, 4}));
    EXPECT_EQ(client->WaitForClose(), 1009);
  }
}

TEST_F(NotifierTest, GibibyteFrameHeadersOnManyConnectionsKeepMemoryFlat) {
  const long before = RssKb(notifier_->pid());
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 8; ++i) {
    auto client = Connect();
    std::string header = {static_cast<char>(0x81), static_cast<char>(0xFF)};
    for (int shift = 56; shift >= 0; shift -= 8) header.push_back(static_cast<char>(((1ULL << 30) >> shift) & 0xFF));
    header += "\x01\x02\x03\x04";
    client->SendRaw(header + std::string(4096, 'y'));
    clients.push_back(std::move(client));
  }
  for (auto& client : clients) EXPECT_EQ(client->WaitForClose(), 1009);
  const long after = RssKb(notifier_->pid());
  std::printf("notifier RSS before %ld kB, after 8 x 1 GiB frame headers %ld kB\n", before, after);
  EXPECT_LT(after - before, 20 * 1024) << "RSS grew by " << (after - before) << " kB";
  EXPECT_EQ(HttpRequest(notifier_->port(), "GET", "/healthz").status, 200);
}

TEST_F(NotifierTest, SlowSubscriberIsClosedWithoutDelayingOthers) {
  auto slow = Connect();
  slow->SendText(R"({"type":"subscribe","all":true})");
  auto fast = Connect();
  fast->SendText(R"({"type":"subscribe","all":true})");
  ASSERT_EQ(fast->ReceiveJson()["type"], "snapshot");
  // Updates carrying full orders (~5 KB each), paced so that a client that
  // reads keeps up while one that never reads overflows its 1 MiB queue (plus
  // the kernel's socket buffers).
  const int batches = 40;
  const int per_batch = 100;
  const int orders = batches * per_batch;
  int received = 0;
  for (int batch = 0; batch < batches; ++batch) {
    for (int i = 0; i < per_batch; ++i) {
      auto placed = Placed(platform::NewUuid());
      placed.items.assign(50, domain::LineItem{std::string(60, 'p'), 1, 100});
      placed.total_cents = 5000;
      const auto record = codec::EncodeEvent(placed, {platform::NewUuid(), "/test", std::nullopt, std::nullopt});
      (void)producer_->Produce(topic_, record.key, record.value, record.headers, nullptr);
    }
    producer_->Flush(30000);
    while (received < (batch + 1) * per_batch) {
      auto message = fast->ReceiveJson(std::chrono::seconds(10));
      if (message.is_discarded() || message.is_null()) break;
      if (message["type"] == "update") ++received;
    }
    // Fail at the first incomplete batch rather than waiting out every later one.
    ASSERT_EQ(received, (batch + 1) * per_batch) << "the fast subscriber missed updates of batch " << batch;
  }
  EXPECT_EQ(received, orders) << "the fast subscriber got every update";
  EXPECT_EQ(slow->WaitForClose(std::chrono::seconds(10)), 1013);
  const auto metrics = HttpRequest(notifier_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("orders_notifier_slow_clients_closed_total 1"), std::string::npos);
}

// Every message of a session exercising the whole protocol, both ways, is
// checked against schemas/asyncapi.yaml by tests/tools/check_asyncapi.py.
TEST_F(NotifierTest, EveryMessageBothWaysMatchesTheAsyncApiDocument) {
  std::string lines;
  auto client = Connect();
  auto say = [&](const std::string& text) {
    ASSERT_TRUE(client->SendText(text));
    const auto parsed = json::parse(text, nullptr, false);
    lines += json{{"direction", "send"}, {"message", parsed.is_discarded() ? json(text) : parsed}}.dump() + "\n";
  };
  auto say_invalid = [&](const std::string& text) {
    ASSERT_TRUE(client->SendText(text));
  };  // only its answer is checked
  auto hear = [&](int count) {
    for (int i = 0; i < count; ++i) {
      const auto message = client->Receive();
      ASSERT_TRUE(message) << "message " << i + 1 << " of " << count;
      lines += json{{"direction", "receive"}, {"message", json::parse(*message)}}.dump() + "\n";
    }
  };
  const std::string id = platform::NewUuid();
  Produce(Placed(id));
  say(Subscribe(id));
  hear(1);  // snapshot
  say(R"({"type":"subscribe","customerId":"customer-1"})");
  hear(1);  // snapshot list
  say(R"({"type":"subscribe","all":true})");
  hear(1);
  Produce(Changed(2, Status::kPending, Status::kCancelled, id));
  hear(1);  // update (one per connection, however many selectors match)
  const std::string placed_live = platform::NewUuid();
  Produce(Placed(placed_live));
  hear(1);  // the placement update with the full order
  say(Subscribe(id, 0));
  hear(2);  // replay: placement and the cancellation
  say(Subscribe(id, 99));
  hear(1);  // snapshot, recovered false
  say(R"({"type":"ping"})");
  hear(1);
  say(id);
  hear(1);  // lookup answer
  say("\"" + platform::NewUuid() + "\"");
  hear(1);  // not found (after the wait)
  say_invalid("{nope");
  hear(1);  // error bad_request
  say_invalid(json{{"type", "ping"}, {"padding", std::string(5000, 'x')}}.dump());
  hear(1);  // error too_large
  say(R"({"type":"unsubscribe","all":true})");
  say(R"({"type":"unsubscribe","customerId":"customer-1"})");
  say(json{{"type", "unsubscribe"}, {"orderId", id}}.dump());
  const auto check = RunPythonTool("tests/tools/check_asyncapi.py", "schemas/asyncapi.yaml", lines);
  EXPECT_EQ(check.exit_status, 0) << check.output << "\n" << lines;
}

// Each notifier instance reads every partition itself: two instances on
// different ports serve the same updates to their own subscribers.
TEST_F(NotifierTest, TwoNotifierInstancesBothDeliverEveryUpdate) {
  ServiceProcess second(NotifierBinary(), {{"ORDERS_TOPIC", topic_}});
  ASSERT_TRUE(second.Start()) << second.LogText();
  ASSERT_TRUE(
      Eventually([&] { return HttpRequest(second.port(), "GET", "/readyz").status == 200; }, std::chrono::seconds(30)));
  ASSERT_NE(second.port(), notifier_->port());
  const std::string id = platform::NewUuid();
  Produce(Placed(id));
  auto first_client = Connect();
  WsClient second_client;
  ASSERT_EQ(second_client.Connect(second.port(), "/ws", WithToken()), 101);
  first_client->SendText(Subscribe(id));
  second_client.SendText(Subscribe(id));
  EXPECT_EQ(first_client->ReceiveJson()["type"], "snapshot");
  EXPECT_EQ(second_client.ReceiveJson()["type"], "snapshot");
  Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
  Produce(Changed(3, Status::kConfirmed, Status::kShipped, id));
  for (int version : {2, 3}) {
    EXPECT_EQ(first_client->ReceiveJson()["version"], version);
    EXPECT_EQ(second_client.ReceiveJson()["version"], version);
  }
  EXPECT_EQ(second.Stop(), 0);
}

TEST_F(NotifierTest, HandshakeProblemsAreRefused) {
  WsClient old_version;
  EXPECT_EQ(old_version.Connect(notifier_->port(), "/ws", {{"Sec-WebSocket-Version", "8"}}), 426);
  EXPECT_EQ(HttpRequest(notifier_->port(), "GET", "/ws").status, 426);
  EXPECT_EQ(HttpRequest(notifier_->port(), "GET", "/").status, 200);
}

TEST_F(NotifierTest, SigtermClosesSubscribersWithGoingAwayAndExitsZero) {
  auto client = Connect();
  client->SendText(R"({"type":"ping"})");
  ASSERT_EQ(client->ReceiveJson()["type"], "pong");
  EXPECT_EQ(notifier_->Stop(), 0);
  EXPECT_EQ(client->WaitForClose(), 1001);
}

class NotifierAuthTest : public NotifierTest {
 protected:
  NotifierAuthTest() { extra_env_ = {{"JWT_SECRET", kTestJwtSecret}, {"ALLOWED_ORIGINS", "https://shop.example"}}; }

  int ConnectStatus(WsClient& client, const std::string& path, std::map<std::string, std::string> headers = {}) {
    headers.emplace("Origin", "https://shop.example");
    return client.Connect(notifier_->port(), path, headers);
  }
};

TEST_F(NotifierAuthTest, UpgradeWithoutAValidTokenIsRefusedWith401) {
  WsClient missing, expired, forged, garbage;
  EXPECT_EQ(ConnectStatus(missing, "/ws"), 401);
  EXPECT_EQ(ConnectStatus(expired, "/ws?access_token=" + TestToken("customer-1", "customer", -std::chrono::seconds(5))),
            401);
  EXPECT_EQ(ConnectStatus(forged, "/ws",
                          {{"Authorization", "Bearer " + TestToken("ops", "staff", std::chrono::hours(1),
                                                                   "a-different-secret-of-32-characters")}}),
            401);
  EXPECT_EQ(ConnectStatus(garbage, "/ws", {{"Authorization", "Bearer not.a.token"}}), 401);
  const auto answer = HttpRequest(notifier_->port(), "GET", "/ws", "",
                                  {{"Upgrade", "websocket"},
                                   {"Connection", "Upgrade"},
                                   {"Sec-WebSocket-Version", "13"},
                                   {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                   {"Origin", "https://shop.example"}});
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.headers.count("www-authenticate"), 1u);
  EXPECT_EQ(json::parse(answer.body)["status"], 401);
}

TEST_F(NotifierAuthTest, ForeignOriginIsRefusedEvenWithAValidToken) {
  WsClient client;
  EXPECT_EQ(client.Connect(notifier_->port(), "/ws?access_token=" + TestToken("ops", "staff", std::chrono::hours(1)),
                           {{"Origin", "https://evil.example"}}),
            403);
}

TEST_F(NotifierAuthTest, CustomerSeesOwnOrderAndIsRefusedAnotherCustomersOrder) {
  const std::string own = platform::NewUuid();
  const std::string foreign = platform::NewUuid();
  auto own_order = Placed(own);
  auto foreign_order = Placed(foreign);
  foreign_order.customer_id = "customer-2";
  Produce(own_order);
  Produce(foreign_order);

  WsClient customer;
  ASSERT_EQ(ConnectStatus(customer, "/ws?access_token=" + TestToken("customer-1", "customer", std::chrono::hours(1))),
            101);
  customer.SendText(Subscribe(foreign));
  EXPECT_EQ(customer.ReceiveJson()["code"], "forbidden");
  customer.SendText(R"({"type":"subscribe","all":true})");
  EXPECT_EQ(customer.ReceiveJson()["code"], "forbidden");
  customer.SendText(Subscribe(own));
  EXPECT_EQ(customer.ReceiveJson()["type"], "snapshot");
  Produce(Changed(2, Status::kPending, Status::kConfirmed, foreign));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, own));
  const auto update = customer.ReceiveJson();
  EXPECT_EQ(update["orderId"], own) << update.dump();
  EXPECT_FALSE(customer.Receive(std::chrono::milliseconds(300))) << "nothing of the other customer's order";

  WsClient staff;
  ASSERT_EQ(
      ConnectStatus(staff, "/ws", {{"Authorization", "Bearer " + TestToken("ops", "staff", std::chrono::hours(1))}}),
      101);
  staff.SendText(Subscribe(foreign));
  EXPECT_EQ(staff.ReceiveJson()["type"], "snapshot");
}

TEST_F(NotifierAuthTest, TheTokenNeverAppearsInTheLog) {
  const std::string token = TestToken("customer-1", "customer", std::chrono::hours(1));
  WsClient client;
  ASSERT_EQ(ConnectStatus(client, "/ws?access_token=" + token), 101);
  WsClient bad;
  ConnectStatus(bad, "/ws?access_token=" + token + "x");
  ASSERT_EQ(notifier_->Stop(), 0);
  const std::string log = notifier_->LogText();
  EXPECT_EQ(log.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(log.find(token.substr(0, token.find('.', token.find('.') + 1))), std::string::npos);
}

}  // namespace
}  // namespace orders::testing

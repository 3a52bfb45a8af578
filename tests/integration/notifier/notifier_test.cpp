#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
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

// A metric's value from /metrics (its first series), or -1 when absent.
double MetricValue(std::uint16_t port, const std::string& name) {
  const auto body = HttpRequest(port, "GET", "/metrics").body;
  std::size_t at = 0;
  while ((at = body.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || body[at - 1] == '\n') return std::stod(body.substr(at + name.size() + 1));
    at += name.size();
  }
  return -1;
}

// CPU time (user + system) the process has used so far, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> values((std::istream_iterator<std::string>(fields)), std::istream_iterator<std::string>());
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  return (std::stod(values.at(11)) + std::stod(values.at(12))) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The longest order the API accepts: 100 items with 64-character product ids.
domain::OrderPlaced MaximalOrder(const std::string& id) {
  auto placed = Placed(id);
  placed.customer_id = std::string(64, 'c');
  placed.items.clear();
  for (int item = 0; item < 100; ++item) {
    std::string product = std::to_string(item);
    product.resize(64, 'p');
    placed.items.push_back({product, 10000, 100000000});
  }
  placed.total_cents = 100LL * 10000 * 100000000;
  return placed;
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
    // No command API runs here: commands are answered 503 (a closed loopback port).
    env.try_emplace("COMMAND_API_URL", "http://127.0.0.1:9");
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
  // The close frame (1013) waits behind what the kernel already holds for the slow client; the
  // notifier gives it the close timeout (5 s) to read that far, then lets the socket go. This client
  // reads nothing until the fast one is done, so on a loaded machine it may only see the end of the
  // connection: either way it is closed, and the metric says why.
  const auto code = slow->WaitForClose(std::chrono::seconds(10));
  EXPECT_TRUE(slow->closed()) << "the slow subscriber is still connected";
  EXPECT_TRUE(code == 1013 || code == 0) << "closed with " << code;
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
  // Deliveries: the courier's list, the open list (an order opening, then taken), commands.
  say(R"({"type":"subscribe","courierId":"rider-1"})");
  hear(1);  // snapshot list (empty)
  say(R"({"type":"subscribe","openDeliveries":true})");
  hear(1);  // snapshot list (empty)
  Produce(Changed(2, Status::kPending, Status::kConfirmed, placed_live));
  hear(1);  // update: open, with the order
  Produce(domain::CourierAssigned{placed_live, 3, At(1764000003000), "rider-1", domain::AssignedBy::kStaff});
  hear(1);  // update: courier_assigned, no longer open
  say(json{{"type", "command"}, {"requestId", "c-1"}, {"name", "releaseDelivery"}, {"args", {{"orderId", placed_live}}}}
          .dump());
  hear(1);  // result: 503, no command API listens where this notifier points
  say_invalid(
      json{{"type", "command"}, {"requestId", "c-2"}, {"name", "launchRocket"}, {"args", json::object()}}.dump());
  hear(1);  // error bad_request naming the requestId
  // Topics: the next event comes as its update (through `all`) and as a topic message.
  say(R"({"type":"subscribe","topic":"order.*"})");
  say(R"({"type":"subscribe","topic":"order.status_changed"})");
  Produce(Changed(4, Status::kConfirmed, Status::kProcessing, placed_live));
  hear(2);  // one update, one message (however many patterns match)
  say_invalid(R"({"type":"subscribe","topic":"order.shipped"})");
  hear(1);  // error bad_request: not an event name
  say(R"({"type":"unsubscribe","topic":"order.*"})");
  say(R"({"type":"unsubscribe","topic":"order.status_changed"})");
  say(R"({"type":"unsubscribe","openDeliveries":true})");
  say(R"({"type":"unsubscribe","courierId":"rider-1"})");
  say(R"({"type":"unsubscribe","all":true})");
  say(R"({"type":"unsubscribe","customerId":"customer-1"})");
  say(json{{"type", "unsubscribe"}, {"orderId", id}}.dump());
  const auto check = RunPythonTool("tests/tools/check_asyncapi.py", "schemas/asyncapi.yaml", lines);
  EXPECT_EQ(check.exit_status, 0) << check.output << "\n" << lines;
}

// The fulfilment workflow's events, written to the log as the command service writes them: every
// update names its event and carries the order's payment after it, and all of them match the
// AsyncAPI document.
TEST_F(NotifierTest, WorkflowEventsReachSubscribersWithTheirNameAndThePaymentAfterThem) {
  auto client = Connect();
  ASSERT_TRUE(client->SendText(R"({"type":"subscribe","all":true})"));
  ASSERT_EQ(client->ReceiveJson()["type"], "snapshot");
  std::string lines;
  auto hear = [&](const std::string& event, const std::string& status, const std::string& payment) {
    const auto message = client->ReceiveJson();
    lines += json{{"direction", "receive"}, {"message", message}}.dump() + "\n";
    EXPECT_EQ(message["type"], "update") << message.dump();
    EXPECT_EQ(message["event"], event) << message.dump();
    EXPECT_EQ(message["status"], status) << message.dump();
    EXPECT_EQ(message["payment"]["status"], payment) << message.dump();
    return message;
  };
  const auto at = At(1764000001000);
  // Paid and confirmed, then cancelled and refunded.
  const std::string paid = platform::NewUuid();
  Produce(Placed(paid));
  hear("order.placed", "pending", "pending");
  Produce(domain::PaymentAuthorized{paid, 2, at, "pay_it_1", 3000});
  const auto authorized = hear("order.payment_authorized", "pending", "authorized");
  EXPECT_EQ(authorized["payment"], (json{{"status", "authorized"}, {"paymentId", "pay_it_1"}, {"amountCents", 3000}}));
  Produce(Changed(3, Status::kPending, Status::kConfirmed, paid));
  hear("order.status_changed", "confirmed", "authorized");
  auto cancel = Changed(4, Status::kConfirmed, Status::kCancelled, paid);
  cancel.reason = "customer_request";
  Produce(cancel);
  hear("order.status_changed", "cancelled", "authorized");
  Produce(domain::PaymentRefunded{paid, 5, at, "pay_it_1", 3000});
  hear("order.payment_refunded", "cancelled", "refunded");
  // Declined, then cancelled for it.
  const std::string declined = platform::NewUuid();
  Produce(Placed(declined));
  hear("order.placed", "pending", "pending");
  Produce(domain::PaymentDeclined{declined, 2, at, "insufficient_funds"});
  EXPECT_EQ(hear("order.payment_declined", "pending", "declined")["reason"], "insufficient_funds");
  auto declined_cancel = Changed(3, Status::kPending, Status::kCancelled, declined);
  declined_cancel.reason = "payment_declined";
  Produce(declined_cancel);
  EXPECT_EQ(hear("order.status_changed", "cancelled", "declined")["reason"], "payment_declined");
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

TEST_F(NotifierAuthTest, CustomerSeesOwnOrderAndAnotherCustomersOrderIsNotFound) {
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
  // Another customer's order is answered exactly like a missing one.
  customer.SendText(Subscribe(foreign));
  EXPECT_EQ(customer.ReceiveJson(std::chrono::seconds(6)),
            (json{{"type", "error"}, {"code", "not_found"}, {"message", "No order with this orderId."}}));
  customer.SendText(foreign);
  EXPECT_EQ(customer.ReceiveJson(std::chrono::seconds(6)), (json{{"error", "Order not found"}}));
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

TEST_F(NotifierAuthTest, SessionIsClosedWithPolicyViolationWhenItsTokenExpires) {
  WsClient client;
  const auto opened = std::chrono::steady_clock::now();
  ASSERT_EQ(ConnectStatus(client, "/ws?access_token=" + TestToken("ops", "staff", std::chrono::seconds(2))), 101);
  client.SendText(R"({"type":"ping"})");
  ASSERT_EQ(client.ReceiveJson()["type"], "pong");
  EXPECT_EQ(client.WaitForClose(std::chrono::seconds(5)), 1008);
  const auto lasted = std::chrono::steady_clock::now() - opened;
  EXPECT_GT(lasted, std::chrono::milliseconds(900)) << "exp is in whole seconds: at least 1 s of the 2 were left";
  EXPECT_LT(lasted, std::chrono::milliseconds(3500));
  WsClient still_valid;
  ASSERT_EQ(ConnectStatus(still_valid, "/ws?access_token=" + TestToken("ops", "staff", std::chrono::hours(1))), 101);
  still_valid.SendText(R"({"type":"ping"})");
  EXPECT_EQ(still_valid.ReceiveJson()["type"], "pong") << "other sessions are not touched";
}

TEST_F(NotifierTest, StaffBoardGetsAHundredMaximalOrdersAsPagedSnapshot) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const auto placed = MaximalOrder(platform::NewUuid());
    ids.insert(placed.order_id);
    const auto record = codec::EncodeEvent(placed, {platform::NewUuid(), "/test", std::nullopt, std::nullopt});
    ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers, nullptr));
  }
  producer_->Flush(30000);
  ASSERT_TRUE(Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_cached_orders") >= 100; },
                         std::chrono::seconds(20)));
  auto board = Connect();
  board->SendText(R"({"type":"subscribe","all":true})");
  std::set<std::string> received;
  std::size_t total_bytes = 0;
  for (int page = 0;; ++page) {
    const auto text = board->Receive();
    ASSERT_TRUE(text) << "page " << page << " did not come; close code " << board->close_code();
    total_bytes += text->size();
    EXPECT_LE(text->size(), 64u * 1024);
    const auto message = json::parse(*text);
    ASSERT_EQ(message["type"], "snapshot");
    EXPECT_EQ(message["page"], page);
    for (const auto& order : message["orders"]) received.insert(order["orderId"].get<std::string>());
    if (message["last"] == true) break;
  }
  EXPECT_EQ(received, ids);
  EXPECT_GT(total_bytes, std::size_t{1} << 20) << "more than the 1 MiB queue cap in all";
  board->SendText(R"({"type":"ping"})");
  EXPECT_EQ(board->ReceiveJson()["type"], "pong") << "the board stays connected";
}

TEST_F(NotifierTest, ASlowConsumerIsClosedAndItsConnectionReleasedWithinTheCloseDeadline) {
  WsClient slow;
  slow.SetReceiveBuffer(4096);
  ASSERT_EQ(slow.Connect(notifier_->port(), "/ws", WithToken()), 101);
  slow.SendText(R"({"type":"subscribe","all":true})");
  ASSERT_TRUE(Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_connections") == 1; }));
  // About 12 MB of updates: more than the 1 MiB queue and the kernel's buffers.
  for (int i = 0; i < 1000; ++i) {
    const auto record = codec::EncodeEvent(MaximalOrder(platform::NewUuid()),
                                           {platform::NewUuid(), "/test", std::nullopt, std::nullopt});
    ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers, nullptr));
  }
  producer_->Flush(30000);
  ASSERT_TRUE(
      Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_slow_clients_closed_total") == 1; },
                 std::chrono::seconds(20)));
  const auto closed_at = std::chrono::steady_clock::now();
  // The client never reads, so its close frame cannot be delivered; the
  // socket must be let go after the 5 s close deadline anyway.
  ASSERT_TRUE(Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_connections") == 0; },
                         std::chrono::seconds(8)))
      << "still holding the slow client's connection";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - closed_at).count();
  std::printf("slow client released %.1f s after its 1013\n", seconds);
}

TEST_F(NotifierTest, PageIsServedWithAStrictContentSecurityPolicy) {
  const auto page = HttpRequest(notifier_->port(), "GET", "/");
  ASSERT_EQ(page.status, 200);
  const std::string csp = page.Header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(csp.find('*'), std::string::npos) << "no wildcard sources: " << csp;
  const std::string own = "127.0.0.1:" + std::to_string(notifier_->port());
  EXPECT_NE(csp.find("connect-src 'self' ws://" + own + " wss://" + own + " http://127.0.0.1:8080"), std::string::npos)
      << csp;
  EXPECT_EQ(page.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(page.body.find("<style"), std::string::npos) << "no inline style";
  EXPECT_EQ(page.body.find(" style="), std::string::npos) << "no inline style attributes";
  const auto script = HttpRequest(notifier_->port(), "GET", "/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(HttpRequest(notifier_->port(), "GET", "/app.css").Header("content-type"), "text/css; charset=utf-8");

  // A Host header that is not a plain host[:port] never reaches the policy.
  const auto odd = HttpRequest(notifier_->port(), "GET", "/", "", {{"Host", "x; script-src *"}});
  EXPECT_EQ(odd.Header("content-security-policy").find("script-src *"), std::string::npos);
}

TEST_F(NotifierTest, ConfiguredPageApiOriginsAreAllowedByThePageAndItsPolicy) {
  extra_env_["PAGE_API_ORIGINS"] = "https://api.shop.example,http://10.0.0.5:9000";
  StartNotifier();
  const auto page = HttpRequest(notifier_->port(), "GET", "/");
  EXPECT_NE(
      page.body.find(R"(<meta name="orders-api-origins" content="https://api.shop.example,http://10.0.0.5:9000">)"),
      std::string::npos);
  const std::string csp = page.Header("content-security-policy");
  EXPECT_NE(csp.find(" https://api.shop.example"), std::string::npos) << csp;
  EXPECT_NE(csp.find(" http://10.0.0.5:9000;"), std::string::npos) << csp;
}

TEST_F(NotifierTest, ThePageIsToldWhetherTheFulfilmentWorkflowRuns) {
  // Test services run with WORKFLOW=off unless told (service_process.hpp); the notifier's own default is on.
  ASSERT_EQ(notifier_->Stop(), 0);
  extra_env_["WORKFLOW"] = "on";
  StartNotifier();
  const auto on = HttpRequest(notifier_->port(), "GET", "/");
  EXPECT_NE(on.body.find(R"(<meta name="orders-workflow" content="on">)"), std::string::npos);
  ASSERT_EQ(notifier_->Stop(), 0);
  extra_env_["WORKFLOW"] = "off";
  StartNotifier();
  const auto off = HttpRequest(notifier_->port(), "GET", "/");
  EXPECT_NE(off.body.find(R"(<meta name="orders-workflow" content="off">)"), std::string::npos);
  EXPECT_EQ(off.body.find("{{"), std::string::npos) << "a placeholder left in the page";
}

TEST(NotifierConfigTest, WorkflowMustBeOnOrOff) {
  ServiceProcess notifier(NotifierBinary(), {{"WORKFLOW", "maybe"}});
  EXPECT_FALSE(notifier.Start(std::chrono::seconds(5)));
  EXPECT_NE(notifier.LogText().find("WORKFLOW must be on or off"), std::string::npos) << notifier.LogText();
}

TEST(NotifierConfigTest, PageApiOriginsMustBeOrigins) {
  ServiceProcess notifier(NotifierBinary(), {{"PAGE_API_ORIGINS", "https://ok.example,https://x.example/path"}});
  EXPECT_FALSE(notifier.Start(std::chrono::seconds(5)));
  EXPECT_NE(notifier.LogText().find("PAGE_API_ORIGINS"), std::string::npos) << notifier.LogText();
}

// Under a descriptor limit of 64 the notifier must keep its connection limits
// below it. Reaching it (as with the old fixed limit of 4096) starved the
// Kafka consumer of sockets and stopped RESTinio's acceptor for good: an
// accept failing with EMFILE is never retried. Nor may anything spin.
TEST_F(NotifierTest, AtALowDescriptorLimitUpgradesPastTheLimitAre503AndNothingSpins) {
  const std::string wrapper = ::testing::TempDir() + "notifier-nofile-64.sh";
  {
    std::ofstream script(wrapper);
    script << "#!/bin/sh\nexec prlimit --nofile=64:64 " << NotifierBinary() << " \"$@\"\n";
  }
  ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
  notifier_->Stop();
  // Webhook dispatch off: its consumers and database connections would take a third of 64 descriptors, and under
  // the sanitizers the notifier did not take new WebSockets again within 10 s (its budget test is a unit test).
  notifier_ = std::make_unique<ServiceProcess>(
      wrapper, std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_}, {"WEBHOOKS", "off"}});
  ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                         std::chrono::seconds(30)));
  json limits;
  for (const auto& line : notifier_->LogLines()) {
    const auto parsed = json::parse(line, nullptr, false);
    if (!parsed.is_discarded() && parsed.value("msg", "") == "connection limits") limits = parsed;
  }
  ASSERT_TRUE(limits.is_object()) << notifier_->LogText();
  EXPECT_EQ(limits["fd_soft_limit"], 64);
  EXPECT_EQ(limits["fd_hard_limit"], 64);
  const int max_websockets = limits["max_websockets"];
  ASSERT_GT(max_websockets, 8);
  ASSERT_LT(max_websockets, 64);

  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < max_websockets; ++i) {
    clients.push_back(std::make_unique<WsClient>());
    ASSERT_EQ(clients.back()->Connect(notifier_->port(), "/ws", WithToken()), 101)
        << "connection " << i + 1 << notifier_->LogText();
  }
  for (int i = 0; i < 5; ++i) {
    WsClient extra;
    EXPECT_EQ(extra.Connect(notifier_->port(), "/ws", WithToken()), 503) << "connection " << max_websockets + i + 1;
  }
  // More raw connections than descriptors are left: they wait in the listen
  // backlog instead of driving accept into EMFILE.
  std::vector<int> raw;
  for (int i = 0; i < 64; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(notifier_->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    raw.push_back(fd);
  }
  const double cpu_before = CpuSeconds(notifier_->pid());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double cpu = CpuSeconds(notifier_->pid()) - cpu_before;
  std::printf("notifier CPU over 2 s at its connection limit: %.2f s\n", cpu);
  EXPECT_LT(cpu, 0.3);
  EXPECT_EQ(notifier_->LogText().find("Too many open files"), std::string::npos);

  for (int fd : raw) ::close(fd);
  clients.clear();
  ASSERT_TRUE(Eventually(
      [&] {
        WsClient again;
        return again.Connect(notifier_->port(), "/ws", WithToken()) == 101;
      },
      std::chrono::seconds(10)))
      << "the service recovers once clients leave";
  EXPECT_TRUE(notifier_->running());
}

// Distributions start services with a soft descriptor limit of 1024 or less under a much higher hard limit; the
// notifier holds a descriptor per WebSocket, so it raises its soft limit to the hard one at start and budgets its
// connections from the raised limit. Started with a soft limit of 64, it must then hold more than 64 WebSockets.
TEST_F(NotifierTest, ItRaisesItsSoftDescriptorLimitToTheHardLimitAndHoldsMoreSocketsThanTheSoftLimitAllowed) {
  const std::string wrapper = ::testing::TempDir() + "notifier-nofile-64-1024.sh";
  {
    std::ofstream script(wrapper);
    script << "#!/bin/sh\nexec prlimit --nofile=64:1024 " << NotifierBinary() << " \"$@\"\n";
  }
  ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
  notifier_->Stop();
  notifier_ = std::make_unique<ServiceProcess>(
      wrapper, std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_}, {"WEBHOOKS", "off"}});
  ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                         std::chrono::seconds(30)));
  json limits;
  for (const auto& line : notifier_->LogLines()) {
    const auto parsed = json::parse(line, nullptr, false);
    if (!parsed.is_discarded() && parsed.value("msg", "") == "connection limits") limits = parsed;
  }
  ASSERT_TRUE(limits.is_object()) << notifier_->LogText();
  EXPECT_EQ(limits["fd_soft_limit_at_start"], 64);
  EXPECT_EQ(limits["fd_soft_limit"], 1024);
  EXPECT_EQ(limits["fd_hard_limit"], 1024);
  const int max_websockets = limits["max_websockets"];
  EXPECT_GT(max_websockets, 64) << "the budget comes from the raised limit";

  // What the kernel holds for the process, not only what it logged.
  std::ifstream proc_limits("/proc/" + std::to_string(notifier_->pid()) + "/limits");
  std::string line, open_files;
  while (std::getline(proc_limits, line)) {
    if (line.rfind("Max open files", 0) == 0) open_files = line;
  }
  std::istringstream fields(open_files.substr(std::string("Max open files").size()));
  std::string soft, hard;
  fields >> soft >> hard;
  EXPECT_EQ(soft, "1024") << open_files;
  EXPECT_EQ(hard, "1024") << open_files;

  // 80 WebSockets: more than a soft limit of 64 descriptors could ever hold.
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 80; ++i) {
    clients.push_back(std::make_unique<WsClient>());
    ASSERT_EQ(clients.back()->Connect(notifier_->port(), "/ws", WithToken()), 101)
        << "connection " << i + 1 << notifier_->LogText();
  }
  EXPECT_TRUE(Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_connections") == 80; }));
  EXPECT_EQ(notifier_->LogText().find("Too many open files"), std::string::npos);
}

}  // namespace
}  // namespace orders::testing

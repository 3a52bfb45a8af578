// The notifier's courier side against the real broker: the courierId and
// openDeliveries selectors following the log, and WebSocket commands run by a
// real command-service process.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
#include <orders/testing/topic_reader.hpp>
#include <orders/testing/ws_client.hpp>

namespace orders::testing {
namespace {

using domain::Status;
using nlohmann::json;

// Every message both ways, as JSON lines for tests/tools/check_asyncapi.py.
class Transcript {
 public:
  void Sent(const std::string& text) {
    const auto parsed = json::parse(text, nullptr, false);
    if (!parsed.is_discarded()) lines_ += json{{"direction", "send"}, {"message", parsed}}.dump() + "\n";
  }
  void Received(const json& message) {
    if (!message.is_null()) lines_ += json{{"direction", "receive"}, {"message", message}}.dump() + "\n";
  }
  // Checks everything seen against schemas/asyncapi.yaml.
  void ExpectMatchesTheAsyncApiDocument() const {
    const auto check = RunPythonTool("tests/tools/check_asyncapi.py", "schemas/asyncapi.yaml", lines_);
    EXPECT_EQ(check.exit_status, 0) << check.output << "\n" << lines_;
  }

 private:
  std::string lines_;
};

// A WebSocket client whose traffic goes into a transcript.
class Socket {
 public:
  Socket(std::uint16_t port, const std::string& token, Transcript& transcript) : transcript_(transcript) {
    status_ = client_.Connect(port, "/ws?access_token=" + token);
  }
  int status() const { return status_; }
  void Say(const std::string& text) {
    transcript_.Sent(text);
    ASSERT_TRUE(client_.SendText(text));
  }
  // A message the document must not accept: only its answer goes into the transcript.
  void SayInvalid(const std::string& text) { ASSERT_TRUE(client_.SendText(text)); }
  json Hear(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto message = client_.ReceiveJson(timeout);
    transcript_.Received(message);
    return message;
  }
  // The next message of `type` (others, e.g. updates of orders placed meanwhile, are skipped).
  json HearType(const std::string& type, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto message =
          Hear(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (message.is_null() || message.is_discarded()) break;
      if (message.value("type", "") == type) return message;
    }
    return {};
  }
  // A command's result and the update its event causes, in whichever order
  // they come (the event may reach the notifier before the HTTP answer does).
  std::pair<json, json> HearResultAndUpdate(const std::string& event) {
    json result;
    json update;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((result.is_null() || update.is_null()) && std::chrono::steady_clock::now() < deadline) {
      auto message =
          Hear(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (message.is_null() || message.is_discarded()) break;
      if (message.value("type", "") == "result") result = message;
      if (message.value("type", "") == "update" && message.value("event", "") == event) update = message;
    }
    return {result, update};
  }
  bool Quiet(std::chrono::milliseconds wait = std::chrono::milliseconds(300)) {
    return !client_.Receive(wait).has_value();
  }
  WsClient& raw() { return client_; }

 private:
  WsClient client_;
  Transcript& transcript_;
  int status_ = 0;
};

std::string Command(const std::string& request_id, const std::string& name, const json& args) {
  return json{{"type", "command"}, {"requestId", request_id}, {"name", name}, {"args", args}}.dump();
}

json OrderArgs(std::optional<std::string> customer = std::nullopt) {
  json args{{"items", {{{"productId", "sku-1"}, {"quantity", 2}, {"unitPriceCents", 1250}}}}, {"currency", "EUR"}};
  if (customer) args["customerId"] = *customer;
  return args;
}

class NotifierDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("notif-dlv");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
  }

  void StartNotifier(std::map<std::string, std::string> env = {}) {
    env["ORDERS_TOPIC"] = topic_;
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), env);
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                           std::chrono::seconds(30)))
        << notifier_->LogText();
  }

  void StartCommandService() {
    command_ = std::make_unique<ServiceProcess>(
        CommandServiceBinary(),
        std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_}, {"KAFKA_BROKERS", KafkaBrokers()}});
    ASSERT_TRUE(command_->Start()) << command_->LogText();
    ASSERT_TRUE(Eventually([&] { return HttpRequest(command_->port(), "GET", "/readyz").status == 200; },
                           std::chrono::seconds(30)))
        << command_->LogText();
    StartNotifier({{"COMMAND_API_URL", "http://127.0.0.1:" + std::to_string(command_->port())}});
  }

  void Produce(const domain::Event& event) {
    if (!producer_) {
      auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "notifier-delivery-test", "", {}});
      ASSERT_TRUE(producer) << producer.error().message;
      producer_ = std::move(*producer);
    }
    const auto record = codec::EncodeEvent(event, {platform::NewUuid(), "/test", std::nullopt, std::nullopt});
    std::atomic<bool> done{false};
    ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers,
                                   [&](const platform::DeliveryReport&) { done = true; }));
    ASSERT_TRUE(Eventually([&] { return done.load(); }));
  }

  std::unique_ptr<Socket> Open(const std::string& subject, const std::string& role,
                               std::chrono::seconds valid_for = std::chrono::hours(1)) {
    auto socket = std::make_unique<Socket>(notifier_->port(), TestToken(subject, role, valid_for), transcript_);
    EXPECT_EQ(socket->status(), 101);
    return socket;
  }

  std::string topic_;
  std::unique_ptr<platform::KafkaProducer> producer_;
  std::unique_ptr<ServiceProcess> command_;
  std::unique_ptr<ServiceProcess> notifier_;
  Transcript transcript_;
};

TEST_F(NotifierDeliveryTest, CourierSeesOrdersOpenAndLeaveItsOpenListAndItsOwnDeliveries) {
  StartNotifier();
  const std::string id = platform::NewUuid();
  auto rider = Open("rider-1", "courier");
  rider->Say(R"({"type":"subscribe","openDeliveries":true})");
  const json open_snapshot = rider->Hear();
  EXPECT_EQ(open_snapshot["openDeliveries"], true);
  EXPECT_TRUE(open_snapshot["orders"].empty());
  rider->Say(R"({"type":"subscribe","courierId":"rider-1"})");
  EXPECT_EQ(rider->Hear()["courierId"], "rider-1");

  Produce(Placed(id));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
  const json opened = rider->Hear();
  EXPECT_EQ(opened["type"], "update");
  EXPECT_EQ(opened["version"], 2) << "the pending placement was not for it";
  EXPECT_EQ(opened["event"], "order.status_changed");
  EXPECT_EQ(opened["open"], true);
  EXPECT_EQ(opened["order"]["orderId"], id);

  Produce(domain::CourierAssigned{id, 3, At(1764000003000), "rider-1", domain::AssignedBy::kCourier});
  const json accepted = rider->Hear();
  EXPECT_EQ(accepted["event"], "order.courier_assigned");
  EXPECT_EQ(accepted["courierId"], "rider-1");
  EXPECT_EQ(accepted["open"], false);
  EXPECT_TRUE(rider->Quiet()) << "one update per event, however many selectors match";

  Produce(Changed(4, Status::kConfirmed, Status::kOutForDelivery, id));
  const json picked_up = rider->Hear();
  EXPECT_EQ(picked_up["status"], "out_for_delivery");
  EXPECT_EQ(picked_up["courierId"], "rider-1");
  EXPECT_FALSE(picked_up.contains("open")) << "no longer in the open list";

  // A later connection gets it in its own list's snapshot, and not as open.
  auto again = Open("rider-1", "courier");
  again->Say(R"({"type":"subscribe","courierId":"rider-1"})");
  EXPECT_EQ(again->Hear()["orders"][0]["orderId"], id);
  again->Say(R"({"type":"subscribe","openDeliveries":true})");
  EXPECT_TRUE(again->Hear()["orders"].empty());
  transcript_.ExpectMatchesTheAsyncApiDocument();
}

TEST_F(NotifierDeliveryTest, EachRoleIsHeldToThePermissionTableOnEverySelector) {
  StartNotifier();
  const std::string open_id = platform::NewUuid();
  const std::string taken_id = platform::NewUuid();
  Produce(Placed(open_id));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, open_id));
  Produce(Placed(taken_id));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, taken_id));
  Produce(domain::CourierAssigned{taken_id, 3, At(1764000003000), "rider-2", domain::AssignedBy::kStaff});
  {
    // The two orders may be on different partitions: wait until the notifier has read the assignment, or
    // rider-1 could still find the taken order open (a snapshot where not_found is due).
    auto watcher = Open("ops", "staff");
    watcher->Say(R"({"type":"subscribe","courierId":"rider-2"})");
    const json snapshot = watcher->Hear();
    if (snapshot["orders"].empty()) EXPECT_EQ(watcher->Hear()["courierId"], "rider-2");
  }

  auto rider = Open("rider-1", "courier");
  const std::vector<std::pair<std::string, std::string>> rider_cases = {
      {R"({"type":"subscribe","orderId":")" + open_id + "\"}", "snapshot"},
      // Another courier's order is answered like a missing one, after the same wait (the REST API's 404).
      {R"({"type":"subscribe","orderId":")" + taken_id + "\"}", "not_found"},
      {R"({"type":"subscribe","courierId":"rider-2"})", "forbidden"},
      {R"({"type":"subscribe","all":true})", "forbidden"},
      {R"({"type":"subscribe","customerId":"customer-1"})", "forbidden"},
  };
  for (const auto& [text, expected] : rider_cases) {
    rider->Say(text);
    const json answer = rider->Hear(std::chrono::seconds(6));
    EXPECT_EQ(expected == "snapshot" ? answer.value("type", "") : answer.value("code", ""), expected) << text;
  }
  auto customer = Open("customer-1", "customer");
  for (const char* text :
       {R"({"type":"subscribe","openDeliveries":true})", R"({"type":"subscribe","courierId":"rider-1"})"}) {
    customer->Say(text);
    EXPECT_EQ(customer->Hear()["code"], "forbidden") << text;
  }
  auto staff = Open("ops", "staff");
  staff->Say(R"({"type":"subscribe","openDeliveries":true})");
  const json open_list = staff->Hear();
  ASSERT_EQ(open_list["orders"].size(), 1u);
  EXPECT_EQ(open_list["orders"][0]["orderId"], open_id);
  staff->Say(R"({"type":"subscribe","courierId":"rider-2"})");
  EXPECT_EQ(staff->Hear()["orders"][0]["courierId"], "rider-2");
  transcript_.ExpectMatchesTheAsyncApiDocument();
}

TEST_F(NotifierDeliveryTest, CommandsRunThroughTheCommandApiAndAnswerWhatRestAnswered) {
  StartCommandService();
  auto staff = Open("ops", "staff");
  staff->Say(Command("place-1", "placeOrder", OrderArgs("customer-9")));
  const json placed = staff->HearType("result");
  ASSERT_EQ(placed["requestId"], "place-1") << placed.dump();
  EXPECT_EQ(placed["status"], 201) << placed.dump();
  const std::string id = placed["body"].value("orderId", "");
  EXPECT_EQ(placed["body"]["customerId"], "customer-9");
  EXPECT_EQ(placed["body"]["version"], 1);

  staff->Say(R"({"type":"subscribe","orderId":")" + id + "\"}");
  EXPECT_EQ(staff->HearType("snapshot")["order"]["orderId"], id) << "the placement reached the log";
  staff->Say(Command("confirm-1", "changeStatus", {{"orderId", id}, {"status", "confirmed"}}));
  const auto [confirmed, update] = staff->HearResultAndUpdate("order.status_changed");
  EXPECT_EQ(confirmed["status"], 200);
  EXPECT_EQ(confirmed["body"]["status"], "confirmed");
  EXPECT_EQ(update["version"], 2);
  EXPECT_EQ(update["event"], "order.status_changed");

  // Refusals come back exactly as REST gave them: status and problem+json body.
  staff->Say(Command("back-1", "changeStatus", {{"orderId", id}, {"status", "pending"}}));
  const json backwards = staff->HearType("result");
  EXPECT_EQ(backwards["status"], 409);
  EXPECT_EQ(backwards["body"]["status"], 409);
  staff->Say(Command("bad-1", "changeStatus", {{"orderId", id}, {"status", "teleported"}}));
  EXPECT_EQ(staff->HearType("result")["status"], 400);
  staff->Say(Command("missing-1", "changeStatus", {{"orderId", platform::NewUuid()}, {"status", "cancelled"}}));
  EXPECT_EQ(staff->HearType("result")["status"], 404);

  // A placement resent with its idempotencyKey returns the original result.
  json keyed = json::parse(Command("keyed-1", "placeOrder", OrderArgs("customer-9")));
  keyed["idempotencyKey"] = "ws-test-" + platform::NewUuid();
  staff->Say(keyed.dump());
  const json first = staff->HearType("result");
  ASSERT_EQ(first["status"], 201) << first.dump();
  keyed["requestId"] = "keyed-2";
  staff->Say(keyed.dump());
  const json again = staff->HearType("result");
  EXPECT_EQ(again["requestId"], "keyed-2");
  EXPECT_EQ(again["body"]["orderId"], first["body"]["orderId"]) << "one order, not two";

  // The session's own identity: a customer may not place for somebody else.
  auto customer = Open("customer-1", "customer");
  customer->Say(Command("place-2", "placeOrder", OrderArgs("customer-2")));
  const json refused = customer->HearType("result");
  EXPECT_EQ(refused["status"], 403) << refused.dump();
  EXPECT_EQ(refused["body"]["status"], 403);
  transcript_.ExpectMatchesTheAsyncApiDocument();
}

// The delivery story over sockets only: a customer places, staff confirms, one
// courier declines, another accepts, picks up and delivers; every refusal is
// the command API's own answer.
TEST_F(NotifierDeliveryTest, CouriersAcceptDeclineAndReleaseOverTheSocketAsTheCommandApiDecides) {
  StartCommandService();
  auto customer = Open("customer-9", "customer");
  customer->Say(R"({"type":"subscribe","customerId":"customer-9"})");
  ASSERT_EQ(customer->HearType("snapshot")["orders"].size(), 0u);
  customer->Say(Command("place", "placeOrder", OrderArgs()));
  const auto [placed, placement] = customer->HearResultAndUpdate("order.placed");
  ASSERT_EQ(placed["status"], 201) << placed.dump();
  EXPECT_EQ(placement["order"]["orderId"], placed["body"]["orderId"]) << "its own list shows the new order whole";
  const std::string id = placed["body"]["orderId"];
  EXPECT_EQ(placed["body"]["customerId"], "customer-9") << "placed for itself";

  auto rider1 = Open("rider-1", "courier");
  auto rider2 = Open("rider-2", "courier");
  for (auto* rider : {rider1.get(), rider2.get()}) {
    rider->Say(R"({"type":"subscribe","openDeliveries":true})");
    ASSERT_EQ(rider->HearType("snapshot")["orders"].size(), 0u);
  }
  rider1->Say(Command("early", "acceptDelivery", {{"orderId", id}}));
  EXPECT_EQ(rider1->HearType("result")["status"], 409) << "a pending order is not open";

  auto staff = Open("ops", "staff");
  staff->Say(Command("confirm", "changeStatus", {{"orderId", id}, {"status", "confirmed"}}));
  ASSERT_EQ(staff->HearType("result")["status"], 200);
  for (auto* rider : {rider1.get(), rider2.get()}) {
    const json opened = rider->HearType("update");
    EXPECT_EQ(opened["open"], true);
    EXPECT_EQ(opened["order"]["orderId"], id);
  }

  rider2->Say(Command("no", "declineDelivery", {{"orderId", id}, {"reason", "too far"}}));
  const auto [declined_result, declined] = rider2->HearResultAndUpdate("order.delivery_declined");
  EXPECT_EQ(declined_result["status"], 200);
  EXPECT_EQ(declined["event"], "order.delivery_declined");
  EXPECT_EQ(declined["open"], false) << "gone from the decliner's list";

  rider1->Say(R"({"type":"subscribe","courierId":"rider-1"})");
  ASSERT_EQ(rider1->HearType("snapshot")["orders"].size(), 0u);
  rider1->Say(Command("yes", "acceptDelivery", {{"orderId", id}}));
  const auto [accepted, assigned] = rider1->HearResultAndUpdate("order.courier_assigned");
  ASSERT_EQ(accepted["status"], 200) << accepted.dump();
  EXPECT_EQ(accepted["body"]["courierId"], "rider-1");
  EXPECT_EQ(assigned["event"], "order.courier_assigned");
  EXPECT_EQ(assigned["courierId"], "rider-1");
  EXPECT_EQ(assigned["open"], false);

  rider2->Say(Command("late", "acceptDelivery", {{"orderId", id}}));
  EXPECT_EQ(rider2->HearType("result")["status"], 409) << "taken";
  rider2->Say(Command("not-mine", "releaseDelivery", {{"orderId", id}}));
  EXPECT_EQ(rider2->HearType("result")["status"], 403);
  rider2->Say(Command("for-another", "acceptDelivery", {{"orderId", id}, {"courierId", "rider-1"}}));
  EXPECT_EQ(rider2->HearType("result")["status"], 403) << "a courier accepts for itself only";

  rider1->Say(Command("pickup", "changeStatus", {{"orderId", id}, {"status", "out_for_delivery"}}));
  EXPECT_EQ(rider1->HearType("result")["status"], 200);
  rider1->Say(Command("drop", "releaseDelivery", {{"orderId", id}}));
  EXPECT_EQ(rider1->HearType("result")["status"], 409) << "no release after pickup";
  rider1->Say(Command("done", "changeStatus", {{"orderId", id}, {"status", "delivered"}}));
  EXPECT_EQ(rider1->HearType("result")["body"]["status"], "delivered");

  // The customer saw every step live, with the courier on it.
  std::vector<std::string> events;
  for (json update = customer->HearType("update"); !update.is_null();
       update = customer->HearType("update", std::chrono::seconds(2))) {
    events.push_back(update["event"]);
    if (update["event"] == "order.courier_assigned") EXPECT_EQ(update["courierId"], "rider-1");
    if (update["status"] == "delivered") break;
  }
  EXPECT_EQ(events,
            (std::vector<std::string>{"order.status_changed", "order.delivery_declined", "order.courier_assigned",
                                      "order.status_changed", "order.status_changed"}));
  transcript_.ExpectMatchesTheAsyncApiDocument();
}

TEST_F(NotifierDeliveryTest, CouriersRacingOverSocketsForOneOrderHaveExactlyOneWinner) {
  StartCommandService();
  auto staff = Open("ops", "staff");
  staff->Say(Command("place", "placeOrder", OrderArgs("customer-9")));
  const std::string id = staff->HearType("result")["body"]["orderId"];
  staff->Say(Command("confirm", "changeStatus", {{"orderId", id}, {"status", "confirmed"}}));
  ASSERT_EQ(staff->HearType("result")["status"], 200);
  std::vector<std::unique_ptr<Socket>> riders;
  for (int i = 0; i < 8; ++i) riders.push_back(Open("rider-" + std::to_string(i), "courier"));
  for (auto& rider : riders) rider->raw().SendText(Command("race", "acceptDelivery", {{"orderId", id}}));
  int won = 0;
  int conflicts = 0;
  for (auto& rider : riders) {
    const int status = rider->HearType("result")["status"];
    won += status == 200;
    conflicts += status == 409;
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(conflicts, 7);
}

TEST_F(NotifierDeliveryTest, BadCommandsAreErrorsAndAppendNothing) {
  StartCommandService();
  auto staff = Open("ops", "staff");
  staff->Say(Command("warm-up", "placeOrder", OrderArgs("customer-9")));
  ASSERT_EQ(staff->HearType("result")["status"], 201);
  const auto appended_before = TotalEndOffset(topic_);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Command("r1", "launchRocket", OrderArgs()), "bad_request"},
      {json{{"type", "command"}, {"name", "placeOrder"}, {"args", OrderArgs("c")}}.dump(), "bad_request"},
      {Command(std::string(129, 'r'), "placeOrder", OrderArgs("c")), "bad_request"},
      {json{{"type", "command"}, {"requestId", "r2"}, {"name", "placeOrder"}, {"args", "x"}}.dump(), "bad_request"},
      {Command("r3", "placeOrder", {{"customerId", "c"}, {"note", std::string(25 * 1024, 'x')}}), "too_large"},
      {Command("r4", "placeOrder", {{"customerId", "c"}, {"note", std::string(40 * 1024, 'x')}}), "too_large"},
      {Command("r5", "changeStatus", {{"orderId", "../inventory/sku-1"}, {"status", "cancelled"}}), "bad_request"},
      {Command("r6", "releaseDelivery", json::object()), "bad_request"},
  };
  for (const auto& [text, code] : cases) {
    staff->SayInvalid(text);
    const json answer = staff->Hear();
    EXPECT_EQ(answer["type"], "error") << text.substr(0, 100);
    EXPECT_EQ(answer["code"], code) << text.substr(0, 100);
  }
  staff->Say(R"({"type":"ping"})");
  EXPECT_EQ(staff->Hear()["type"], "pong") << "the connection is still open";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(TotalEndOffset(topic_), appended_before) << "nothing was appended";
  transcript_.ExpectMatchesTheAsyncApiDocument();
}

TEST_F(NotifierDeliveryTest, ACommandOnAConnectionWhoseTokenExpiredIsRefused) {
  StartCommandService();
  auto staff = Open("ops", "staff", std::chrono::seconds(2));
  const auto appended_before = TotalEndOffset(topic_);
  // The token's exp is whole seconds: wait until it has surely passed.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  staff->Say(Command("late", "placeOrder", OrderArgs("customer-9")));
  const json answer = staff->Hear();
  if (!answer.is_null()) {
    EXPECT_EQ(answer["type"], "error") << answer.dump();
    EXPECT_EQ(answer["code"], "forbidden") << answer.dump();
  }
  EXPECT_EQ(staff->raw().WaitForClose(), 1008);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(TotalEndOffset(topic_), appended_before) << "nothing was appended";
}

TEST_F(NotifierDeliveryTest, AnUnreachableCommandApiIsA503Result) {
  std::uint16_t closed_port = 0;
  // A port nothing listens on: bind one, note it, let it go.
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    closed_port = ntohs(address.sin_port);
    ::close(fd);
  }
  StartNotifier({{"COMMAND_API_URL", "http://127.0.0.1:" + std::to_string(closed_port)}});
  auto staff = Open("ops", "staff");
  staff->Say(Command("r1", "placeOrder", OrderArgs("customer-9")));
  const json answer = staff->HearType("result");
  EXPECT_EQ(answer["status"], 503);
  EXPECT_EQ(answer["body"]["status"], 503);
  transcript_.ExpectMatchesTheAsyncApiDocument();
}

TEST(NotifierCommandApiConfigTest, ABadCommandApiUrlStopsTheStartWithAMessage) {
  ServiceProcess notifier(NotifierBinary(), {{"COMMAND_API_URL", "https://commands.example"}});
  EXPECT_FALSE(notifier.Start(std::chrono::seconds(10)));
  EXPECT_NE(notifier.LogText().find("COMMAND_API_URL"), std::string::npos) << notifier.LogText();
}

}  // namespace
}  // namespace orders::testing

// GET /events against a real notifier reading a real topic: what a `curl -N`
// reader sees, resume with Last-Event-ID, heartbeats, slow readers, and every
// way a request is refused before streaming.
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
#include <orders/testing/sse_client.hpp>
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

double MetricValue(std::uint16_t port, const std::string& name) {
  const auto body = HttpRequest(port, "GET", "/metrics").body;
  std::size_t at = 0;
  while ((at = body.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || body[at - 1] == '\n') return std::stod(body.substr(at + name.size() + 1));
    at += name.size();
  }
  return -1;
}

class NotifierSseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("sse");
    ASSERT_EQ(CreateTopic(topic_, 3), "");
    auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "notifier-sse-test", "", {}});
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
    auto env = extra_env_;
    env["ORDERS_TOPIC"] = topic_;
    env.try_emplace("COMMAND_API_URL", "http://127.0.0.1:9");
    env.try_emplace("SSE_HEARTBEAT_MS", "300");
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), env);
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                           std::chrono::seconds(30)))
        << notifier_->LogText();
  }

  void Produce(const domain::Event& event) {
    const auto record =
        codec::EncodeEvent(event, {platform::NewUuid(), "/test", std::nullopt, std::nullopt, std::nullopt});
    std::atomic<bool> done{false};
    ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers,
                                   [&](const platform::DeliveryReport&) { done = true; }));
    ASSERT_TRUE(Eventually([&] { return done.load(); }));
  }

  int Open(SseClient& client, const std::string& path, std::map<std::string, std::string> headers = {}) {
    return client.Open(notifier_->port(), path, WithToken(std::move(headers)));
  }

  // The problem answer to GET `path`: its status, and its body's status agrees.
  int ProblemStatus(const std::string& path, std::map<std::string, std::string> headers = {}) {
    SseClient client;
    const int status = client.Open(notifier_->port(), path, headers);
    EXPECT_EQ(client.headers().count("content-type") ? client.headers().at("content-type") : "",
              "application/problem+json")
        << path;
    const auto body = json::parse(client.body(), nullptr, false);
    EXPECT_TRUE(body.is_object() && body["status"] == status) << client.body();
    return status;
  }

  std::map<std::string, std::string> extra_env_;
  std::string topic_;
  std::unique_ptr<platform::KafkaProducer> producer_;
  std::unique_ptr<ServiceProcess> notifier_;
};

TEST_F(NotifierSseTest, AnOrderStreamIsItsSnapshotThenEveryUpdateInOrderWithResumableIds) {
  const std::string id = platform::NewUuid();
  Produce(Placed(id));
  SseClient client;
  ASSERT_EQ(Open(client, "/events?orderId=" + id), 200);
  EXPECT_EQ(client.headers().at("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(client.headers().at("cache-control"), "no-store");
  const auto retry = client.Next();
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->retry.has_value()) << "the retry hint comes first";
  const auto snapshot = client.NextEvent();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->event, "snapshot");
  EXPECT_FALSE(snapshot->has_id);
  EXPECT_EQ(snapshot->Json()["order"]["version"], 1);
  Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
  Produce(Changed(3, Status::kConfirmed, Status::kShipped, id));
  Produce(Changed(3, Status::kConfirmed, Status::kShipped, id));  // a duplicate in the log
  Produce(Changed(4, Status::kShipped, Status::kDelivered, id));
  for (int version : {2, 3, 4}) {
    const auto update = client.NextEvent();
    ASSERT_TRUE(update) << "version " << version;
    EXPECT_EQ(update->event, "update");
    EXPECT_EQ(update->id, id + ":" + std::to_string(version));
    EXPECT_EQ(update->Json()["version"], version);
    EXPECT_EQ(update->Json()["type"], "update") << "the data is the WebSocket's message";
  }
  EXPECT_FALSE(client.NextEvent(std::chrono::milliseconds(500))) << "the duplicate is not sent again";
}

TEST_F(NotifierSseTest, ATopicStreamCarriesEveryMatchingEventWithItsEventIdAsTheStreamId) {
  SseClient client;
  ASSERT_EQ(Open(client, "/events?topic=order.*"), 200);
  ASSERT_TRUE(client.Next());  // the retry hint
  const std::string id = platform::NewUuid();
  const std::string event_id = platform::NewUuid();
  const auto record = codec::EncodeEvent(Placed(id), {event_id, "/test", std::nullopt, std::nullopt, std::nullopt});
  std::atomic<bool> done{false};
  ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers,
                                 [&](const platform::DeliveryReport&) { done = true; }));
  ASSERT_TRUE(Eventually([&] { return done.load(); }));
  const auto message = client.NextEvent();
  ASSERT_TRUE(message);
  EXPECT_EQ(message->event, "message");
  EXPECT_EQ(message->id, event_id);
  EXPECT_EQ(message->Json()["topic"], "order.placed");
  EXPECT_EQ(message->Json()["payload"]["orderId"], id);
}

TEST_F(NotifierSseTest, ResumingWithLastEventIdYieldsExactlyTheMissingVersions) {
  const std::string id = platform::NewUuid();
  const auto snapshot_at = [&](int version) {
    SseClient probe;
    if (Open(probe, "/events?orderId=" + id) != 200) return false;
    const auto snapshot = probe.NextEvent();
    return snapshot && snapshot->Json()["order"]["version"] == version;
  };
  Produce(Placed(id));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, id));
  // Read by the notifier before the first reader opens: otherwise its snapshot may be at version 1, and the
  // update it waits for below is version 2.
  ASSERT_TRUE(Eventually([&] { return snapshot_at(2); }));
  std::string last_id;
  {
    SseClient first;
    ASSERT_EQ(Open(first, "/events?orderId=" + id), 200);
    ASSERT_EQ(first.NextEvent()->event, "snapshot");
    Produce(Changed(3, Status::kConfirmed, Status::kProcessing, id));
    const auto update = first.NextEvent();
    ASSERT_TRUE(update);
    last_id = update->id;
  }  // the reader goes away
  EXPECT_EQ(last_id, id + ":3");
  Produce(Changed(4, Status::kProcessing, Status::kShipped, id));
  Produce(Changed(5, Status::kShipped, Status::kDelivered, id));
  ASSERT_TRUE(Eventually([&] { return snapshot_at(5); }));
  for (const bool header : {true, false}) {
    SseClient resumed;
    // As URLSearchParams writes it (RESTinio refuses a raw ':' in a query).
    const std::string path = "/events?orderId=" + id + (header ? "" : "&lastEventId=" + id + "%3A3");
    ASSERT_EQ(Open(resumed, path,
                   header ? std::map<std::string, std::string>{{"Last-Event-ID", last_id}}
                          : std::map<std::string, std::string>{}),
              200)
        << resumed.body();
    std::vector<std::string> ids;
    while (auto event = resumed.NextEvent(std::chrono::milliseconds(800))) {
      EXPECT_EQ(event->event, "update") << "no snapshot on a resume the notifier can serve";
      ids.push_back(event->id);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{id + ":4", id + ":5"})) << (header ? "header" : "query");
  }
}

TEST_F(NotifierSseTest, AQuietStreamGetsHeartbeatComments) {
  SseClient client;
  ASSERT_EQ(Open(client, "/events?all=true"), 200);
  ASSERT_EQ(client.NextEvent()->event, "snapshot");
  int heartbeats = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1100);
  while (std::chrono::steady_clock::now() < until) {
    const auto event = client.Next(std::chrono::milliseconds(400));
    if (event && event->comment == "hb") ++heartbeats;
  }
  EXPECT_GE(heartbeats, 2) << "SSE_HEARTBEAT_MS=300";
}

TEST_F(NotifierSseTest, ListStreamsSeeEveryNewOrderAndAnUnknownOrderEndsWithNotFound) {
  SseClient board;
  ASSERT_EQ(Open(board, "/events?all=true"), 200);
  ASSERT_EQ(board.NextEvent()->event, "snapshot");
  const std::string id = platform::NewUuid();
  Produce(Placed(id));
  const auto update = board.NextEvent();
  ASSERT_TRUE(update);
  EXPECT_EQ(update->id, id + ":1");
  EXPECT_EQ(update->Json()["order"]["orderId"], id);

  SseClient unknown;
  ASSERT_EQ(Open(unknown, "/events?orderId=" + platform::NewUuid()), 200) << "it may yet appear: the hub waits";
  const auto error = unknown.NextEvent(std::chrono::seconds(6));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->event, "error");
  EXPECT_EQ(error->Json()["code"], "not_found");
  EXPECT_TRUE(unknown.WaitForEnd(std::chrono::seconds(2))) << "nothing more can come: the stream ends";
}

TEST_F(NotifierSseTest, BadRequestsAreProblemsBeforeAnythingStreams) {
  const std::string id = platform::NewUuid();
  const std::string token = "&access_token=" + TestToken("ops", "staff");
  EXPECT_EQ(ProblemStatus("/events?colour=blue" + token), 400) << "unknown parameter";
  EXPECT_EQ(ProblemStatus("/events?access_token=" + TestToken("ops", "staff")), 400) << "no selector";
  EXPECT_EQ(ProblemStatus("/events?all=true&orderId=" + id + token), 400) << "two selectors";
  EXPECT_EQ(ProblemStatus("/events?orderId=" + id + "&orderId=" + id, WithToken()), 400) << "one selector twice";
  EXPECT_EQ(ProblemStatus("/events?orderId=nope" + token), 400);
  EXPECT_EQ(ProblemStatus("/events?all=yes" + token), 400);
  EXPECT_EQ(ProblemStatus("/events?topic=order.bogus" + token), 400);
  EXPECT_EQ(ProblemStatus("/events?orderId=" + id + token, {{"Last-Event-ID", id + ":x"}}), 400);
  EXPECT_EQ(ProblemStatus("/events?orderId=" + id + token, {{"Last-Event-ID", platform::NewUuid() + ":2"}}), 400);
  EXPECT_EQ(ProblemStatus("/events?orderId=" + id + "&lastEventId=7" + token), 400);
  EXPECT_EQ(HttpRequest(notifier_->port(), "GET", "/healthz").status, 200);
}

TEST_F(NotifierSseTest, AStalledReaderIsCutOffAndWhatItsQueueHeldIsLetGo) {
  // 2000 orders of ~5 KB as JSON, ~10 MB: an unbounded queue would hold all of
  // them for a reader that never reads and never cut it off; the bounded one
  // cuts it off at its 1 MiB (3 MiB with a snapshot; sse_session_test has the
  // exact bound). RSS is printed, not asserted: the allocator's arenas move it
  // by more than the bound between runs of the same build.
  auto load = [&] {
    for (int i = 0; i < 2000; ++i) {
      auto placed = Placed(platform::NewUuid());
      placed.items.assign(50, domain::LineItem{std::string(60, 'p'), 1, 100});
      placed.total_cents = 5000;
      const auto record =
          codec::EncodeEvent(placed, {platform::NewUuid(), "/test", std::nullopt, std::nullopt, std::nullopt});
      ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers, nullptr));
    }
    producer_->Flush(30000);
  };
  auto metric = [&](const char* name) { return MetricValue(notifier_->port(), name); };
  const long rss_before = RssKb(notifier_->pid());

  SseClient slow;
  slow.SetReceiveBuffer(4096);
  ASSERT_EQ(Open(slow, "/events?all=true"), 200);
  ASSERT_TRUE(Eventually([&] { return metric("orders_notifier_connections") == 1; }));
  std::thread loader([&] { load(); });
  const bool cut_off =
      Eventually([&] { return metric("orders_notifier_slow_clients_closed_total") == 1; }, std::chrono::seconds(20));
  loader.join();
  ASSERT_TRUE(cut_off) << "the stalled reader was never cut off";
  ASSERT_TRUE(Eventually([&] { return metric("orders_notifier_connections") == 0; }, std::chrono::seconds(3)))
      << "the stalled reader's connection is let go at once";
  EXPECT_TRUE(Eventually(
      [&] { return metric("orders_notifier_queued_bytes") == 0 && metric("orders_notifier_buffer_bytes") == 0; },
      std::chrono::seconds(3)))
      << "what the reader's queue held is freed with its connection";
  ASSERT_TRUE(Eventually([&] { return metric("orders_notifier_cached_orders") == 2000; }, std::chrono::seconds(20)));
  std::printf("notifier RSS +%ld kB over 2000 orders of ~5 KB with a stalled SSE reader\n",
              RssKb(notifier_->pid()) - rss_before);
  EXPECT_TRUE(slow.WaitForEnd(std::chrono::seconds(10))) << "the reader finds its stream ended";
  SseClient fresh;
  ASSERT_EQ(Open(fresh, "/events?all=true"), 200);
  EXPECT_EQ(fresh.NextEvent()->event, "snapshot") << "the notifier still serves streams";
}

TEST_F(NotifierSseTest, StreamsAndWebSocketsShareOneConnectionBudget) {
  notifier_->Stop();
  notifier_ = std::make_unique<ServiceProcess>(
      NotifierBinary(),
      std::map<std::string, std::string>{
          {"ORDERS_TOPIC", topic_}, {"MAX_CONNECTIONS", "2"}, {"COMMAND_API_URL", "http://127.0.0.1:9"}});
  ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                         std::chrono::seconds(30)));
  SseClient first;
  ASSERT_EQ(Open(first, "/events?all=true"), 200);
  WsClient second;
  ASSERT_EQ(second.Connect(notifier_->port(), "/ws", WithToken()), 101);
  SseClient third;
  EXPECT_EQ(Open(third, "/events?all=true"), 503);
  EXPECT_EQ(third.headers().count("retry-after"), 1u);
  WsClient fourth;
  EXPECT_EQ(fourth.Connect(notifier_->port(), "/ws", WithToken()), 503);
}

TEST_F(NotifierSseTest, SigtermEndsStreamsAndExitsZero) {
  SseClient client;
  ASSERT_EQ(Open(client, "/events?all=true"), 200);
  ASSERT_EQ(client.NextEvent()->event, "snapshot");
  EXPECT_EQ(notifier_->Stop(), 0);
  EXPECT_TRUE(client.WaitForEnd());
}

class NotifierSseAuthTest : public NotifierSseTest {
 protected:
  NotifierSseAuthTest() { extra_env_ = {{"JWT_SECRET", kTestJwtSecret}, {"ALLOWED_ORIGINS", "https://shop.example"}}; }
};

TEST_F(NotifierSseAuthTest, MissingOrBadTokensAre401AndAForeignOriginIs403) {
  const std::string staff = TestToken("ops", "staff");
  EXPECT_EQ(ProblemStatus("/events?all=true"), 401);
  EXPECT_EQ(ProblemStatus("/events?all=true&access_token=" + TestToken("ops", "staff", -std::chrono::seconds(5))), 401);
  EXPECT_EQ(ProblemStatus("/events?all=true", {{"Authorization", "Bearer not.a.token"}}), 401);
  SseClient challenged;
  challenged.Open(notifier_->port(), "/events?all=true");
  EXPECT_EQ(challenged.headers().count("www-authenticate"), 1u);
  EXPECT_EQ(ProblemStatus("/events?all=true&access_token=" + staff, {{"Origin", "https://evil.example"}}), 403);
  SseClient allowed;
  ASSERT_EQ(
      allowed.Open(notifier_->port(), "/events?all=true&access_token=" + staff, {{"Origin", "https://shop.example"}}),
      200);
  EXPECT_EQ(allowed.headers().at("access-control-allow-origin"), "https://shop.example");
}

TEST_F(NotifierSseAuthTest, ASelectorTheRoleMayNotFollowIs403AndAnotherCustomersOrderLooksMissing) {
  const std::string customer = TestToken("customer-1", "customer");
  EXPECT_EQ(ProblemStatus("/events?all=true&access_token=" + customer), 403);
  EXPECT_EQ(ProblemStatus("/events?customerId=customer-2&access_token=" + customer), 403);
  EXPECT_EQ(ProblemStatus("/events?openDeliveries=true&access_token=" + customer), 403);

  const std::string foreign = platform::NewUuid();
  auto foreign_order = Placed(foreign);
  foreign_order.customer_id = "customer-2";
  Produce(foreign_order);
  const std::string own = platform::NewUuid();
  Produce(Placed(own));  // customer-1's
  SseClient mine;
  ASSERT_EQ(mine.Open(notifier_->port(), "/events?customerId=customer-1&access_token=" + customer), 200);
  const auto snapshot = mine.NextEvent();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->event, "snapshot");
  SseClient theirs;
  ASSERT_EQ(theirs.Open(notifier_->port(), "/events?orderId=" + foreign + "&access_token=" + customer), 200);
  const auto error = theirs.NextEvent(std::chrono::seconds(6));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->Json(),
            (json{{"type", "error"}, {"code", "not_found"}, {"message", "No order with this orderId."}}));
}

// The courier column of the permission table (docs/security.md), as the WebSocket applies it
// (NotifierDeliveryTest.EachRoleIsHeldToThePermissionTableOnEverySelector): another courier, a customer and everything
// are refused (403 here, `forbidden` there); its own deliveries and the open ones stream; another courier's order
// looks missing.
TEST_F(NotifierSseAuthTest, ACourierStreamsItsOwnAndOpenDeliveriesButNotAnotherCouriersACustomersOrEverything) {
  const std::string courier = "&access_token=" + TestToken("courier-1", "courier");
  for (const std::string selector : {"courierId=courier-2", "customerId=customer-1", "all=true"}) {
    SseClient refused;
    EXPECT_EQ(refused.Open(notifier_->port(), "/events?" + selector + courier), 403) << selector;
    EXPECT_EQ(refused.headers().count("content-type") ? refused.headers().at("content-type") : "",
              "application/problem+json")
        << selector;
    const auto body = json::parse(refused.body(), nullptr, false);
    EXPECT_TRUE(body.is_object() && body["status"] == 403) << selector << ": " << refused.body();
  }

  const std::string open = platform::NewUuid();
  Produce(Placed(open));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, open));
  const std::string mine = platform::NewUuid();
  Produce(Placed(mine));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, mine));
  Produce(domain::CourierAssigned{mine, 3, At(1764000003000), "courier-1", domain::AssignedBy::kStaff});
  const std::string theirs = platform::NewUuid();
  Produce(Placed(theirs));
  Produce(Changed(2, Status::kPending, Status::kConfirmed, theirs));
  Produce(domain::CourierAssigned{theirs, 3, At(1764000003000), "courier-2", domain::AssignedBy::kStaff});

  const auto ids_of = [](const json& snapshot) {
    std::vector<std::string> ids;
    for (const auto& order : snapshot["orders"]) ids.push_back(order["orderId"]);
    return ids;
  };
  // The snapshot is taken where the notifier has read to: wait until it has read all three orders.
  ASSERT_TRUE(Eventually([&] {
    SseClient own;
    if (own.Open(notifier_->port(), "/events?courierId=courier-1" + courier) != 200) return false;
    const auto snapshot = own.NextEvent();
    return snapshot && snapshot->event == "snapshot" && ids_of(snapshot->Json()) == std::vector<std::string>{mine};
  })) << "courier-1's own deliveries: only the order assigned to it";
  // The other courier's order is on another partition: having read courier-1's assignment says nothing about
  // it, so this waits too (an assigned order that stayed open would keep it waiting, and fail it).
  ASSERT_TRUE(Eventually([&] {
    SseClient deliveries;
    if (deliveries.Open(notifier_->port(), "/events?openDeliveries=true" + courier) != 200) return false;
    const auto open_list = deliveries.NextEvent();
    return open_list && open_list->event == "snapshot" && open_list->Json()["openDeliveries"] == true &&
           ids_of(open_list->Json()) == std::vector<std::string>{open};
  })) << "the open deliveries: only the unassigned order (assigned orders are not open)";

  SseClient other;
  ASSERT_EQ(other.Open(notifier_->port(), "/events?orderId=" + theirs + courier), 200);
  const auto error = other.NextEvent(std::chrono::seconds(6));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->Json()["code"], "not_found") << "another courier's order, exactly as a missing one";
}

TEST_F(NotifierSseAuthTest, AStreamEndsWhenItsTokenExpires) {
  SseClient client;
  const auto opened = std::chrono::steady_clock::now();
  ASSERT_EQ(client.Open(notifier_->port(),
                        "/events?all=true&access_token=" + TestToken("ops", "staff", std::chrono::seconds(2))),
            200);
  ASSERT_EQ(client.NextEvent()->event, "snapshot");
  const auto error = client.NextEvent(std::chrono::seconds(5));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->event, "error");
  EXPECT_EQ(error->Json()["message"], "token expired");
  EXPECT_TRUE(client.WaitForEnd());
  const auto lasted = std::chrono::steady_clock::now() - opened;
  EXPECT_GT(lasted, std::chrono::milliseconds(900));
  EXPECT_LT(lasted, std::chrono::milliseconds(3500));
}

// Each answer of GET /events is documented in schemas/notifier-events-openapi.yaml with its content type,
// and each documented answer was seen (but 429 and 503, which need a flood or a full notifier; the
// budget test above sees the 503), checked by tests/tools/check_openapi.py.
TEST_F(NotifierSseAuthTest, EveryAnswerMatchesTheEventsOpenApiNote) {
  const std::string staff = "&access_token=" + TestToken("ops", "staff");
  const std::string customer = "&access_token=" + TestToken("customer-1", "customer");
  std::string observations;
  auto observe = [&](const std::string& request, std::map<std::string, std::string> headers = {}) {
    SseClient client;
    const int status = client.Open(notifier_->port(), request, headers);
    const auto type = client.headers().find("content-type");
    observations += json{{"method", "get"},
                         {"path", "/events"},
                         {"status", status},
                         {"contentType", type == client.headers().end() ? "" : type->second}}
                        .dump() +
                    "\n";
  };
  observe("/events?all=true" + staff);
  observe("/events?all=true&colour=blue" + staff);
  observe("/events?all=true");
  observe("/events?all=true" + customer);
  observe("/events?all=true" + staff, {{"Origin", "https://evil.example"}});
  const auto check = RunPythonTool("tests/tools/check_openapi.py",
                                   "schemas/notifier-events-openapi.yaml --may-be-unobserved 503,429", observations);
  EXPECT_EQ(check.exit_status, 0) << check.output;
}

TEST(NotifierSseConfigTest, ABadHeartbeatOrRetryStopsTheStartNamingBoth) {
  ServiceProcess notifier(NotifierBinary(), {{"SSE_HEARTBEAT_MS", "0"}, {"SSE_RETRY_MS", "later"}});
  EXPECT_FALSE(notifier.Start(std::chrono::seconds(5)));
  EXPECT_NE(notifier.LogText().find("SSE_HEARTBEAT_MS must be"), std::string::npos) << notifier.LogText();
  EXPECT_NE(notifier.LogText().find("SSE_RETRY_MS must be"), std::string::npos) << notifier.LogText();
}

}  // namespace
}  // namespace orders::testing

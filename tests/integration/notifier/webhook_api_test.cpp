// The /webhooks API of a real notifier on the shared PostgreSQL (a schema per
// test): the round trip, roles, durability across a restart, deliveries and
// replay, and hostile input (bad URLs, huge filters, unknown event types,
// oversized bodies, wrong roles, 10,000 registrations against the cap).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>
#include <orders/notifier/webhooks/pg_webhook_store.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;
namespace webhooks = notifier::webhooks;

std::string UniqueSchema() {
  std::string name = UniqueName("whapi");
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class WebhookApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    topic_ = UniqueName("whapi");
    ASSERT_EQ(CreateTopic(topic_, 1), "");
    Start();
  }

  void Start(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {
        {"ORDERS_TOPIC", topic_}, {"COMMAND_API_URL", "http://127.0.0.1:9"}, {"WEBHOOK_SCHEMA", schema_}};
    for (auto& [name, value] : extra) env[name] = value;
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), env);
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = {},
                    const std::string& role = "service") {
    std::map<std::string, std::string> headers;
    if (!body.empty()) headers["Content-Type"] = "application/json";
    if (!role.empty()) headers = WithToken(headers, role);
    return HttpRequest(notifier_->port(), method, path, body, headers);
  }

  HttpResponse Register(const json& body, const std::string& role = "service") {
    return Call("POST", "/webhooks", body.dump(), role);
  }

  static json Body(const HttpResponse& response) { return json::parse(response.body, nullptr, false); }

  // A 4xx problem+json that names `field` (when given) and leaks nothing internal.
  static void ExpectProblem(const HttpResponse& response, int status, const std::string& field = {},
                            const std::string& what = {}) {
    EXPECT_EQ(response.status, status) << what << ": " << response.body;
    EXPECT_EQ(response.Header("content-type"), "application/problem+json") << what;
    const json problem = Body(response);
    EXPECT_EQ(problem.value("status", 0), status) << what;
    if (!field.empty()) {
      bool named = false;
      for (const auto& error : problem.value("errors", json::array())) named |= error.value("field", "") == field;
      EXPECT_TRUE(named) << what << ": " << response.body;
    }
    for (const char* internal : {"pqxx", "SQL", "ERROR:", "exception", "what()"}) {
      EXPECT_EQ(response.body.find(internal), std::string::npos) << what << ": " << response.body;
    }
  }

  std::string schema_ = UniqueSchema();
  std::string topic_;
  std::unique_ptr<ServiceProcess> notifier_;
};

const json kValid = {{"url", "http://127.0.0.1:9/hook"}, {"events", {"order.*"}}, {"description", "tests"}};

TEST_F(WebhookApiTest, RegisterListGetDeleteShowTheSecretOnlyInTheCreateAnswer) {
  const auto created = Register(kValid);
  ASSERT_EQ(created.status, 201) << created.body;
  const json endpoint = Body(created);
  const std::string id = endpoint["id"];
  const std::string secret = endpoint["secret"];
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_GE(secret.size(), 6u + 44u) << "32 random bytes in base64";
  EXPECT_EQ(created.Header("location"), "/webhooks/" + id);
  EXPECT_EQ(endpoint["events"], json({"order.*"}));

  const auto listed = Call("GET", "/webhooks");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(Body(listed)["items"].size(), 1u);
  EXPECT_EQ(listed.body.find(secret), std::string::npos);
  const auto got = Call("GET", "/webhooks/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Body(got)["url"], "http://127.0.0.1:9/hook");
  EXPECT_EQ(got.body.find("whsec_"), std::string::npos);
  EXPECT_EQ(notifier_->LogText().find(secret), std::string::npos) << "the secret is never logged";

  EXPECT_EQ(Call("DELETE", "/webhooks/" + id).status, 204);
  ExpectProblem(Call("GET", "/webhooks/" + id), 404);
  ExpectProblem(Call("DELETE", "/webhooks/" + id), 404);
}

TEST_F(WebhookApiTest, OnlyStaffAndServiceMayUseIt) {
  EXPECT_EQ(Register(kValid, "staff").status, 201);
  for (const std::string role : {"customer", "courier"}) {
    ExpectProblem(Register(kValid, role), 403, {}, role);
    ExpectProblem(Call("GET", "/webhooks", {}, role), 403, {}, role);
  }
  const auto anonymous = Call("GET", "/webhooks", {}, "");
  ExpectProblem(anonymous, 401);
  EXPECT_EQ(anonymous.Header("www-authenticate"), "Bearer");
  const auto forged = HttpRequest(notifier_->port(), "GET", "/webhooks", {},
                                  {{"Authorization", "Bearer " + TestToken("x", "staff", std::chrono::hours(1),
                                                                           "another-secret-of-32-chars-or-more!!")}});
  ExpectProblem(forged, 401);
  // The token belongs in the header; one in the URL is not accepted here.
  ExpectProblem(Call("GET", "/webhooks?access_token=" + TestToken("x", "staff"), {}, ""), 401);
}

TEST_F(WebhookApiTest, RegistrationsSurviveANotifierRestart) {
  const auto created = Register(kValid);
  ASSERT_EQ(created.status, 201);
  const std::string id = Body(created)["id"];
  notifier_->Stop();
  Start();
  const auto got = Call("GET", "/webhooks/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Body(got)["description"], "tests");
}

TEST_F(WebhookApiTest, FailedDeliveriesAreListedPagedAndReplayed) {
  const auto created = Register(kValid);
  ASSERT_EQ(created.status, 201);
  const std::string id = Body(created)["id"];
  // What the dispatcher records after the last retry failed.
  auto ledger = webhooks::MakePgDeliveryLedger({DatabaseUrl(), schema_, 1000});
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1'796'428'800));
  for (int i = 0; i < 5; ++i) {
    webhooks::Delivery delivery;
    delivery.endpoint_id = id;
    delivery.event_id = "evt-" + std::to_string(i);
    delivery.event_type = "order.placed";
    delivery.subject = "order-" + std::to_string(i);
    delivery.topic = topic_;
    delivery.offset = i;
    delivery.body = R"({"specversion":"1.0"})";
    delivery.event_time = at + std::chrono::minutes(i);
    delivery.status = webhooks::DeliveryStatus::kFailed;
    delivery.attempts = 8;
    delivery.last_error = "connection refused";
    ledger->Keep(delivery);
  }
  std::vector<std::string> seen;
  std::string cursor;
  do {
    const auto page = Call(
        "GET", "/webhooks/" + id + "/deliveries?status=failed&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    const json body = Body(page);
    for (const auto& item : body["items"]) {
      seen.push_back(item["eventId"]);
      EXPECT_EQ(item["attempts"], 8);
      EXPECT_EQ(item["lastError"], "connection refused");
      EXPECT_TRUE(item["lastHttpStatus"].is_null());
    }
    cursor = body.value("nextCursor", "");
  } while (!cursor.empty() && seen.size() < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"evt-4", "evt-3", "evt-2", "evt-1", "evt-0"}));

  const auto replayed = Call("POST", "/webhooks/" + id + "/replay", R"({"from":"2026-12-05T00:02:00Z"})");
  ASSERT_EQ(replayed.status, 202) << replayed.body;
  EXPECT_EQ(Body(replayed), json({{"replayed", 3}}));
  EXPECT_EQ(Body(Call("GET", "/webhooks/" + id + "/deliveries?status=pending"))["items"].size(), 3u);
  EXPECT_EQ(Body(Call("GET", "/webhooks/" + id + "/deliveries?status=failed"))["items"].size(), 2u);
  ExpectProblem(Call("GET", "/webhooks/" + id + "/deliveries?status=lost"), 400, "status");
  ExpectProblem(Call("GET", "/webhooks/" + id + "/deliveries?cursor=%00"), 400, "cursor");
  ExpectProblem(Call("POST", "/webhooks/" + id + "/replay", R"({"from":"last week"})"), 400, "from");
}

TEST_F(WebhookApiTest, UrlsThatAreNotHttpOrHttpsAreRefused) {
  for (const std::string& url :
       std::vector<std::string>{"file:///etc/passwd", "ftp://127.0.0.1/", "javascript:alert(1)", "gopher://x:70/",
                                "http://", "https:///path", "not a url", "", "//127.0.0.1/hook", "ws://127.0.0.1/",
                                "data:text/plain,hi", "http:\\\\127.0.0.1", std::string("http://a\r\nX-Injected: 1")}) {
    ExpectProblem(Register({{"url", url}, {"events", {"*"}}}), 400, "url", url);
  }
  ExpectProblem(Register({{"url", "http://x.test/" + std::string(4096, 'a')}, {"events", {"*"}}}), 400, "url");
  ExpectProblem(Register({{"url", 5}, {"events", {"*"}}}), 400, "url");
  EXPECT_EQ(Body(Call("GET", "/webhooks"))["items"].size(), 0u);
}

TEST_F(WebhookApiTest, HugeFiltersAndUnknownEventTypesAreRefused) {
  for (const std::string& event : std::vector<std::string>{"user.created", "order.placed.v1", "ORDER.*", "order.**",
                                                           "order.", "", "**", "inventory", std::string(10000, 'o')}) {
    ExpectProblem(Register({{"url", "http://127.0.0.1:9/"}, {"events", {event}}}), 400, "events[0]",
                  event.substr(0, 40));
  }
  ExpectProblem(Register({{"url", "http://127.0.0.1:9/"}, {"events", json::array()}}), 400, "events");
  ExpectProblem(Register({{"url", "http://127.0.0.1:9/"}, {"events", std::vector<std::string>(51, "*")}}), 400,
                "events");
  ExpectProblem(Register({{"url", "http://127.0.0.1:9/"}, {"events", {{{"nested", true}}}}}), 400, "events[0]");
  ExpectProblem(Register({{"url", "http://127.0.0.1:9/"}, {"events", {"*"}}, {"secret", "mine"}}), 400, "secret");
  ExpectProblem(Call("POST", "/webhooks", "{\"url\":"), 400, "body");
  EXPECT_EQ(Body(Call("GET", "/webhooks"))["items"].size(), 0u);
}

TEST_F(WebhookApiTest, OversizedBodiesAre413OrClosedNeverAccepted) {
  const json big = {{"url", "http://127.0.0.1:9/"}, {"events", {"*"}}, {"description", std::string(20 * 1024, 'd')}};
  ExpectProblem(Register(big), 413);
  // 10,000 filters do not fit in 16 KiB either.
  ExpectProblem(Register({{"url", "http://127.0.0.1:9/"}, {"events", std::vector<std::string>(10000, "*")}}), 413);
  // Past the server's own limit the connection is closed without an answer (or 413).
  const json huge = {{"url", "http://127.0.0.1:9/"}, {"events", {"*"}}, {"description", std::string(200 * 1024, 'd')}};
  const auto closed = Register(huge);
  EXPECT_TRUE(closed.status == 0 || closed.status == 413) << closed.status;
  ExpectProblem(Register({{"url", "http://127.0.0.1:9/"}, {"events", {"*"}}, {"description", std::string(501, 'd')}}),
                400, "description");
  EXPECT_EQ(Register(kValid).status, 201) << "the notifier still answers";
}

TEST_F(WebhookApiTest, MalformedOrUnknownIdsAre404Problems) {
  for (const std::string& id : std::vector<std::string>{"ep_00000000-0000-4000-8000-000000000000", "x", "..%2F..%2Fetc",
                                                        "%27%20OR%201%3D1", std::string(300, 'e')}) {
    ExpectProblem(Call("GET", "/webhooks/" + id), 404, {}, id);
    ExpectProblem(Call("DELETE", "/webhooks/" + id), 404, {}, id);
    ExpectProblem(Call("GET", "/webhooks/" + id + "/deliveries"), 404, {}, id);
    ExpectProblem(Call("POST", "/webhooks/" + id + "/replay", R"({"from":"2026-12-05T00:00:00Z"})"), 404, {}, id);
  }
}

TEST_F(WebhookApiTest, TenThousandRegistrationsStopAtTheCapWithAClearProblem) {
  notifier_->Stop();
  Start({{"WEBHOOK_MAX_ENDPOINTS", "1000"}});
  constexpr int kClients = 4;
  constexpr int kAttempts = 10000;
  std::atomic<int> next{0}, created{0}, capped{0}, other{0};
  std::string sample_problem;
  std::mutex sample_mutex;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      const auto headers = WithToken({{"Content-Type", "application/json"}});
      for (int i = next++; i < kAttempts; i = next++) {
        const json body = {{"url", "http://127.0.0.1:9/" + std::to_string(i)}, {"events", {"order.*"}}};
        const auto answer = HttpRequest(notifier_->port(), "POST", "/webhooks", body.dump(), headers);
        if (answer.status == 201) {
          ++created;
        } else if (answer.status == 409 && answer.Header("content-type") == "application/problem+json") {
          ++capped;
          std::lock_guard lock(sample_mutex);
          if (sample_problem.empty()) sample_problem = answer.body;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(created.load(), 1000);
  EXPECT_EQ(capped.load(), kAttempts - 1000);
  EXPECT_EQ(other.load(), 0);
  EXPECT_NE(sample_problem.find("1000"), std::string::npos) << sample_problem;
  EXPECT_EQ(Body(Call("GET", "/webhooks"))["items"].size(), 1000u);
}

TEST_F(WebhookApiTest, WithoutTheDatabaseTheApiAnswers503AndTheNotifierStillRuns) {
  notifier_->Stop();
  Start({{"DATABASE_URL", "postgresql://orders@127.0.0.1:1/orders?connect_timeout=1"}});
  const auto answer = Register(kValid);
  ExpectProblem(answer, 503);
  EXPECT_EQ(answer.Header("retry-after"), "1");
  ExpectProblem(Call("GET", "/webhooks"), 503);
  EXPECT_EQ(HttpRequest(notifier_->port(), "GET", "/healthz").status, 200);
}

TEST_F(WebhookApiTest, PrivateAndLoopbackTargetsAreRefusedUnlessAllowed) {
  notifier_->Stop();
  Start({{"WEBHOOK_ALLOW_PRIVATE_TARGETS", "false"}});
  for (const std::string& url : std::vector<std::string>{"http://127.0.0.1:9/hook", "http://localhost/hook",
                                                         "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data",
                                                         "http://[::1]/", "http://192.168.1.1:8080/"}) {
    ExpectProblem(Register({{"url", url}, {"events", {"*"}}}), 400, "url", url);
  }
  EXPECT_EQ(Body(Call("GET", "/webhooks"))["items"].size(), 0u);
}

TEST_F(WebhookApiTest, WithWebhooksOffThereAreNoWebhookRoutes) {
  notifier_->Stop();
  Start({{"WEBHOOKS", "off"}});
  ExpectProblem(Register(kValid), 404);
  ExpectProblem(Call("GET", "/webhooks"), 404);
}

// One request per documented (route, status) of schemas/notifier-openapi.yaml, checked both ways by
// tests/tools/check_openapi.py: every answer is documented with its content type, and every documented
// answer was seen (but 503, which needs a failing database, seen above, and 429, which needs a flood).
TEST_F(WebhookApiTest, EveryRouteAndStatusMatchesTheNotifierOpenApiDocument) {
  notifier_->Stop();
  Start({{"WEBHOOK_MAX_ENDPOINTS", "2"}});
  std::string observations;
  auto observe = [&](const std::string& method, const std::string& route, const std::string& path,
                     const std::string& body = {}, const std::string& role = "service") {
    const auto response = Call(method, path, body, role);
    observations += json{{"method", method},
                         {"path", route},
                         {"status", response.status},
                         {"contentType", response.Header("content-type")}}
                        .dump() +
                    "\n";
    return response;
  };
  const std::string missing = "ep_00000000-0000-4000-8000-000000000000";
  const std::string one = "/webhooks/{webhookId}";
  const auto created = observe("POST", "/webhooks", "/webhooks", kValid.dump());
  const std::string id = Body(created).value("id", "");
  observe("POST", "/webhooks", "/webhooks", kValid.dump());
  observe("POST", "/webhooks", "/webhooks", kValid.dump());  // past the cap of 2: 409
  observe("POST", "/webhooks", "/webhooks", "{}");
  observe("POST", "/webhooks", "/webhooks", kValid.dump(), "");
  observe("POST", "/webhooks", "/webhooks", kValid.dump(), "customer");
  observe("POST", "/webhooks", "/webhooks", std::string(17 * 1024, ' '));
  observe("GET", "/webhooks", "/webhooks");
  observe("GET", "/webhooks", "/webhooks", {}, "");
  observe("GET", "/webhooks", "/webhooks", {}, "courier");
  observe("GET", one, "/webhooks/" + id);
  observe("GET", one, "/webhooks/" + missing);
  observe("GET", one, "/webhooks/" + id, {}, "");
  observe("GET", one, "/webhooks/" + id, {}, "customer");
  const std::string deliveries = "/webhooks/{webhookId}/deliveries";
  observe("GET", deliveries, "/webhooks/" + id + "/deliveries?status=failed");
  observe("GET", deliveries, "/webhooks/" + id + "/deliveries?limit=0");
  observe("GET", deliveries, "/webhooks/" + missing + "/deliveries");
  observe("GET", deliveries, "/webhooks/" + id + "/deliveries", {}, "");
  observe("GET", deliveries, "/webhooks/" + id + "/deliveries", {}, "customer");
  const std::string replay = "/webhooks/{webhookId}/replay";
  const std::string from = R"({"from":"2026-12-05T00:00:00Z"})";
  observe("POST", replay, "/webhooks/" + id + "/replay", from);
  observe("POST", replay, "/webhooks/" + id + "/replay", R"({"from":"now"})");
  observe("POST", replay, "/webhooks/" + missing + "/replay", from);
  observe("POST", replay, "/webhooks/" + id + "/replay", from, "");
  observe("POST", replay, "/webhooks/" + id + "/replay", from, "customer");
  observe("POST", replay, "/webhooks/" + id + "/replay", std::string(17 * 1024, ' '));
  observe("DELETE", one, "/webhooks/" + id, {}, "");
  observe("DELETE", one, "/webhooks/" + id, {}, "customer");
  observe("DELETE", one, "/webhooks/" + id);
  observe("DELETE", one, "/webhooks/" + id);

  const auto check = RunPythonTool("tests/tools/check_openapi.py",
                                   "schemas/notifier-openapi.yaml --may-be-unobserved 503,429", observations);
  EXPECT_EQ(check.exit_status, 0) << check.output;
}

}  // namespace
}  // namespace orders::testing

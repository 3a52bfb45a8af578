// The HTTP edge of the three services as a client sees it: a foreign Origin
// gets 403 everywhere (WebSocket upgrades too), allowed origins get exact CORS
// answers, a rebinding Host gets 403 while auth is off, a flooding caller gets
// 429 with Retry-After and RateLimit fields while others are served, the
// limiter's table stays at its cap under rotating addresses, connection caps
// hold, and unknown methods are answered at once.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <regex>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

#include "hostile/raw_http.hpp"

namespace orders::testing {
namespace {

using namespace std::chrono_literals;
using hostile::RawConnection;

enum class Kind { kCommand, kQuery, kNotifier };

std::string Name(Kind kind) {
  switch (kind) {
    case Kind::kCommand:
      return "command";
    case Kind::kQuery:
      return "query";
    case Kind::kNotifier:
      return "notifier";
  }
  return "";
}

// One service process of `kind` on a fresh topic (and read-model schema).
class EdgeService {
 public:
  EdgeService(Kind kind, std::map<std::string, std::string> env) : kind_(kind) {
    topic_ = UniqueName("edge");
    EXPECT_EQ(CreateTopic(topic_, 1), "");
    env["ORDERS_TOPIC"] = topic_;
    env["KAFKA_BROKERS"] = KafkaBrokers();
    std::string binary = CommandServiceBinary();
    if (kind == Kind::kQuery) {
      schema_ = "edge_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand() % 100000);
      env["READ_MODEL_SCHEMA"] = schema_;
      env["CONSUMER_GROUP"] = UniqueName("edge-group");
      env["DATABASE_URL"] = DatabaseUrl();
      binary = ProjectionServiceBinary();
    } else if (kind == Kind::kNotifier) {
      binary = NotifierBinary();
    }
    process_ = std::make_unique<ServiceProcess>(binary, env);
    started_ = process_->Start();
    EXPECT_TRUE(started_) << process_->LogText();
  }

  ~EdgeService() {
    process_.reset();
    if (!schema_.empty() && PostgresReachable()) {
      pqxx::connection connection(DatabaseUrl());
      pqxx::work work(connection);
      work.exec0("DROP SCHEMA IF EXISTS " + work.quote_name(schema_) + " CASCADE");
      work.commit();
    }
  }

  bool started() const { return started_; }
  std::uint16_t port() const { return process_->port(); }
  ServiceProcess& process() { return *process_; }

  // A path the service has (its main API route).
  std::string ApiPath() const {
    switch (kind_) {
      case Kind::kCommand:
        return "/orders/4b0c5a4e-0000-4000-8000-000000000001";
      case Kind::kQuery:
        return "/orders";
      case Kind::kNotifier:
        return "/";
    }
    return "/";
  }

  HttpResponse Get(const std::string& path, std::map<std::string, std::string> headers = {}) {
    return HttpRequest(port(), "GET", path, "", headers);
  }

  std::string Metrics() { return Get("/metrics").body; }

 private:
  Kind kind_;
  std::string topic_;
  std::string schema_;
  std::unique_ptr<ServiceProcess> process_;
  bool started_ = false;
};

// A WebSocket upgrade; `host` is the Host header's value (default: 127.0.0.1:<port>).
std::string Upgrade(std::uint16_t port, const std::string& extra_headers, std::string host = "") {
  if (host.empty()) host = "127.0.0.1:" + std::to_string(port);
  return "GET /ws HTTP/1.1\r\nHost: " + host +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
         extra_headers + "\r\n";
}

const std::map<std::string, std::string> kAuthOn = {{"JWT_SECRET", kTestJwtSecret}};

class EdgeTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    if (GetParam() == Kind::kQuery) ORDERS_REQUIRE_POSTGRES();
  }
};

TEST_P(EdgeTest, AForeignOriginGets403OnEveryRouteAndMethod) {
  EdgeService service(GetParam(), kAuthOn);
  ASSERT_TRUE(service.started());
  const std::map<std::string, std::string> evil = {{"Origin", "http://evil.example"},
                                                   {"Authorization", BearerOf(TestToken("ops", "staff"))}};
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", service.ApiPath()}, {"OPTIONS", service.ApiPath()}, {"GET", "/no/such/path"}, {"DELETE", "/"}}) {
    const auto response = HttpRequest(service.port(), method, path, "", evil);
    EXPECT_EQ(response.status, 403) << method << " " << path << ": " << response.body;
    EXPECT_EQ(response.Header("content-type"), "application/problem+json") << method << " " << path;
    EXPECT_EQ(response.Header("access-control-allow-origin"), "") << method << " " << path;
  }
  // Without an Origin (curl, servers) the same request passes the edge.
  EXPECT_NE(service.Get(service.ApiPath(), {{"Authorization", BearerOf(TestToken("ops", "staff"))}}).status, 403);
}

TEST_P(EdgeTest, TheNotifierPageOriginGetsExactCorsAnswers) {
  auto env = kAuthOn;
  env["PAGE_PORT"] = "8082";
  EdgeService service(GetParam(), env);
  ASSERT_TRUE(service.started());
  const std::string page = "http://localhost:8082";
  const auto preflight = HttpRequest(service.port(), "OPTIONS", service.ApiPath(), "",
                                     {{"Origin", page}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(preflight.status, 204) << preflight.body;
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), page);
  EXPECT_NE(preflight.Header("vary").find("Origin"), std::string::npos);
  // Only what this path has: never methods of other paths or of no path at all.
  const std::string methods = preflight.Header("access-control-allow-methods");
  EXPECT_NE(methods.find("GET"), std::string::npos) << methods;
  for (const char* other : {"DELETE", "PATCH", "TRACE", "POST"}) {
    EXPECT_EQ(methods.find(other), std::string::npos) << methods;
  }
  const auto answer = service.Get(service.ApiPath(), {{"Origin", page}});
  EXPECT_EQ(answer.Header("access-control-allow-origin"), page) << answer.status;
  EXPECT_EQ(answer.Header("vary"), "Origin");
}

TEST_P(EdgeTest, ARebindingHostGets403WhileAuthIsOff) {
  EdgeService service(GetParam(), {{"AUTH", "off"}, {"ALLOWED_HOSTS", "orders.internal"}});
  ASSERT_TRUE(service.started());
  const auto request = [&](const std::string& host) {
    return SendRaw(service.port(), "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 5s);
  };
  EXPECT_EQ(request("evil.example:" + std::to_string(service.port())).status, 403);
  EXPECT_EQ(request("127.0.0.1.nip.example").status, 403);
  EXPECT_EQ(request("localhost:" + std::to_string(service.port())).status, 200);
  EXPECT_EQ(request("[::1]:" + std::to_string(service.port())).status, 200);
  EXPECT_EQ(request("orders.internal:" + std::to_string(service.port())).status, 200);
}

INSTANTIATE_TEST_SUITE_P(AllServices, EdgeTest, ::testing::Values(Kind::kCommand, Kind::kQuery, Kind::kNotifier),
                         [](const auto& test) { return Name(test.param); });

// ---- WebSocket upgrades ----

class NotifierEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override { ORDERS_REQUIRE_KAFKA(); }
};

TEST_F(NotifierEdgeTest, AWebSocketUpgradeFromAForeignOriginGets403) {
  auto env = kAuthOn;
  env["PAGE_PORT"] = "8082";
  EdgeService notifier(Kind::kNotifier, env);
  ASSERT_TRUE(notifier.started());
  const std::string token = "Authorization: " + BearerOf(TestToken("ops", "staff")) + "\r\n";
  EXPECT_EQ(SendRaw(notifier.port(), Upgrade(notifier.port(), token + "Origin: http://evil.example\r\n"), 3s).status,
            403);
  EXPECT_EQ(SendRaw(notifier.port(), Upgrade(notifier.port(), token + "Origin: http://localhost:8082\r\n"), 1s).status,
            101);
  EXPECT_EQ(SendRaw(notifier.port(), Upgrade(notifier.port(), token), 1s).status, 101) << "no Origin: not a browser";
}

TEST_F(NotifierEdgeTest, TheNotifierPageMayConnectFromWhateverPortItServesOn) {
  // Auth off: the upgrade is then decided by the origin alone.
  EdgeService notifier(Kind::kNotifier, {{"AUTH", "off"}});
  ASSERT_TRUE(notifier.started());
  const std::string own = "Origin: http://127.0.0.1:" + std::to_string(notifier.port()) + "\r\n";
  EXPECT_EQ(SendRaw(notifier.port(), Upgrade(notifier.port(), own), 1s).status, 101);
}

TEST_F(NotifierEdgeTest, ConnectionAttemptsOverTheLimitGet429) {
  // Auth off: every attempt is anonymous, limited by address, and the ones let through upgrade.
  EdgeService notifier(Kind::kNotifier, {{"AUTH", "off"}, {"RATE_LIMIT", "on"}, {"RATE_LIMIT_CONNECT", "0.1/3"}});
  ASSERT_TRUE(notifier.started());
  std::vector<int> statuses;
  HttpResponse refused;
  for (int i = 0; i < 6; ++i) {
    auto response = SendRaw(notifier.port(), Upgrade(notifier.port(), ""), 1s);
    statuses.push_back(response.status);
    if (response.status == 429) refused = response;
  }
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 101), 3);
  ASSERT_EQ(refused.status, 429);
  EXPECT_GE(std::stoi(refused.Header("retry-after")), 1);
  EXPECT_EQ(refused.Header("ratelimit-policy"), "\"anonymous\";q=3;w=30");
  EXPECT_TRUE(std::regex_match(refused.Header("ratelimit"), std::regex("\"anonymous\";r=0;t=[1-9][0-9]*")))
      << refused.Header("ratelimit");
  EXPECT_EQ(refused.Header("content-type"), "application/problem+json");
  EXPECT_NE(notifier.Metrics().find("orders_rate_limited_total{api=\"ws\",role=\"anonymous\"} 3"), std::string::npos);
}

// The rows of the handshake table in schemas/asyncapi.yaml that the tests above do not cover.
TEST_F(NotifierEdgeTest, AnUpgradeWithARebindingHostGets403WhileAuthIsOff) {
  EdgeService notifier(Kind::kNotifier, {{"AUTH", "off"}, {"ALLOWED_HOSTS", "orders.internal"}});
  ASSERT_TRUE(notifier.started());
  const auto upgrade = [&](const std::string& host) {
    return SendRaw(notifier.port(), Upgrade(notifier.port(), "", host), 2s);
  };
  const std::string port = std::to_string(notifier.port());
  const auto rebound = upgrade("evil.example:" + port);
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(rebound.Header("content-type"), "application/problem+json");
  EXPECT_EQ(upgrade("localhost:" + port).status, 101);
  EXPECT_EQ(upgrade("orders.internal:" + port).status, 101) << "a host listed in ALLOWED_HOSTS";
}

TEST_F(NotifierEdgeTest, AnUpgradeWithAnotherMethodThanGetGets405NamingGet) {
  EdgeService notifier(Kind::kNotifier, kAuthOn);
  ASSERT_TRUE(notifier.started());
  std::string request = Upgrade(notifier.port(), "Content-Length: 0\r\n");
  request.replace(0, 3, "POST");
  const auto refused = SendRaw(notifier.port(), request, 2s);
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(refused.Header("allow"), "GET");
  EXPECT_EQ(refused.Header("content-type"), "application/problem+json");
}

// ---- Rate limits on the APIs ----

struct FloodCase {
  Kind kind;
  std::string role;  // a role the API serves
};

class RateLimitTest : public ::testing::TestWithParam<FloodCase> {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    if (GetParam().kind == Kind::kQuery) ORDERS_REQUIRE_POSTGRES();
  }
};

TEST_P(RateLimitTest, AFloodingCallerGets429WithTheFieldsWhileAnotherCallerIsServed) {
  const auto& param = GetParam();
  std::string upper = param.role;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EdgeService service(param.kind,
                      {{"JWT_SECRET", kTestJwtSecret}, {"RATE_LIMIT", "on"}, {"RATE_LIMIT_" + upper, "1/10"}});
  ASSERT_TRUE(service.started());
  const std::map<std::string, std::string> flooder = {{"Authorization", BearerOf(TestToken("flooder", param.role))}};
  const std::map<std::string, std::string> calm = {{"Authorization", BearerOf(TestToken("calm", param.role))}};

  HttpResponse limited;
  int refused = 0;
  for (int i = 0; i < 30; ++i) {
    auto response = service.Get(service.ApiPath(), flooder);
    if (response.status == 429) {
      ++refused;
      limited = response;
    }
  }
  EXPECT_GE(refused, 19);  // burst 10 at 1/s: at most 10 (+ what refilled) pass
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("content-type"), "application/problem+json");
  EXPECT_GE(std::stoi(limited.Header("retry-after")), 1);
  EXPECT_EQ(limited.Header("ratelimit-policy"), "\"" + param.role + "\";q=10;w=10");
  EXPECT_TRUE(std::regex_match(limited.Header("ratelimit"), std::regex("\"" + param.role + "\";r=0;t=[1-9][0-9]*")))
      << limited.Header("ratelimit");

  const auto served = service.Get(service.ApiPath(), calm);
  EXPECT_NE(served.status, 429) << "another principal shares no bucket with the flooder";
  EXPECT_NE(served.status, 0);
  EXPECT_NE(service.Metrics().find("orders_rate_limited_total{api=\"" + Name(param.kind) + "\",role=\"" + param.role +
                                   "\"} " + std::to_string(refused)),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Apis, RateLimitTest,
                         ::testing::Values(FloodCase{Kind::kCommand, "staff"}, FloodCase{Kind::kQuery, "customer"}),
                         [](const auto& test) { return Name(test.param.kind); });

// One request from `source` (any 127.x.y.z address: all are this machine's).
int StatusFrom(const std::string& source, std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  int status = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[512] = {};
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::recv(fd, buffer, sizeof buffer - 1, 0) > 12) status = std::atoi(buffer + 9);
  }
  ::close(fd);
  return status;
}

// The limiter each service names in its metrics: the notifier's limits WebSocket (and event-stream) connection
// attempts.
std::string LimiterName(Kind kind) { return kind == Kind::kNotifier ? "ws" : Name(kind); }

TEST_P(EdgeTest, ARotatingAddressFloodKeepsTheLimiterAtItsCap) {
  EdgeService service(GetParam(), {{"JWT_SECRET", kTestJwtSecret}, {"RATE_LIMIT", "on"}, {"RATE_LIMIT_KEYS", "16"}});
  ASSERT_TRUE(service.started());
  // The notifier limits connection attempts, not page loads: its flood is WebSocket upgrades, which pass the
  // limiter (keyed by address, as no token came) before they are refused 401.
  const std::string request =
      GetParam() == Kind::kNotifier
          ? Upgrade(service.port(), "")
          : "GET " + service.ApiPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 200; ++i) {
    const std::string source = "127.0." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250);
    ASSERT_EQ(StatusFrom(source, service.port(), request), 401) << source;  // no token: keyed by address
  }
  const std::string metrics = service.Metrics();
  EXPECT_NE(metrics.find("orders_rate_limiter_keys{api=\"" + LimiterName(GetParam()) + "\"} 16"), std::string::npos)
      << metrics;
}

// ---- Connection caps ----

TEST_F(NotifierEdgeTest, TheCommandApiRefusesConnectionsOverItsCapWith503AndServesAgainOnceOneCloses) {
  EdgeService service(Kind::kCommand, {{"MAX_CONNECTIONS", "4"}});
  ASSERT_TRUE(service.started());
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 4; ++i) {
    open.push_back(std::make_unique<RawConnection>(service.port()));
    ASSERT_TRUE(open.back()->Send(request));
    auto response = open.back()->NextResponse(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  RawConnection extra(service.port());
  ASSERT_TRUE(extra.Send(request));
  auto refused = extra.NextResponse(5s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->head.find("application/problem+json"), std::string::npos);
  EXPECT_TRUE(extra.ClosedByServer(5s));

  open.pop_back();  // one closes: a slot is free again
  EXPECT_TRUE(Eventually([&] { return HttpRequest(service.port(), "GET", "/healthz").status == 200; }, 5s));
  for (auto& connection : open) {
    ASSERT_TRUE(connection->Send(request));
    auto response = connection->NextResponse(5s);
    ASSERT_TRUE(response) << "open connections keep being served";
    EXPECT_EQ(response->status, 200);
  }
}

TEST_F(NotifierEdgeTest, TheQueryApiHoldsConnectionsOverItsCapUntilOneCloses) {
  ORDERS_REQUIRE_POSTGRES();
  EdgeService service(Kind::kQuery, {{"MAX_CONNECTIONS", "3"}});
  ASSERT_TRUE(service.started());
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<RawConnection>(service.port()));
    ASSERT_TRUE(open.back()->Send(request));
    ASSERT_TRUE(open.back()->NextResponse(5s));
  }
  RawConnection extra(service.port());
  ASSERT_TRUE(extra.Send(request));
  EXPECT_FALSE(extra.NextResponse(1s)) << "a fourth connection is not served while three are open";
  open.pop_back();
  auto served = extra.NextResponse(5s);
  ASSERT_TRUE(served) << "served as soon as a slot is free";
  EXPECT_EQ(served->status, 200);
}

// ---- Unknown methods ----

TEST_P(EdgeTest, UnknownMethodsGet501AtOnceAndTheConnectionGoesOn) {
  EdgeService service(GetParam(), {});
  ASSERT_TRUE(service.started());
  for (const std::string method : {"QUERY", "FOO", "PROPFIND", "BREW"}) {
    RawConnection connection(service.port());
    ASSERT_TRUE(connection.Send(method + " " + service.ApiPath() +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"));
    const auto start = std::chrono::steady_clock::now();
    auto response = connection.NextResponse(3s);
    ASSERT_TRUE(response) << method << " got no answer";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << method;
    EXPECT_EQ(response->status, 501) << method;
    EXPECT_NE(response->head.find("application/problem+json"), std::string::npos) << method;
    // The same keep-alive connection serves the next request.
    ASSERT_TRUE(connection.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) << method;
    auto next = connection.NextResponse(3s);
    ASSERT_TRUE(next) << method;
    EXPECT_EQ(next->status, 200) << method;
  }
}

TEST_P(EdgeTest, TraceIsNeverEchoed) {
  EdgeService service(GetParam(), {});
  ASSERT_TRUE(service.started());
  RawConnection connection(service.port());
  ASSERT_TRUE(
      connection.Send("TRACE " + service.ApiPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Secret: do-not-echo\r\n\r\n"));
  auto response = connection.NextResponse(3s);
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->status == 405 || response->status == 404) << response->status;
  EXPECT_NE(response->head.find("application/problem+json"), std::string::npos);
  if (response->status == 405) {
    EXPECT_NE(response->head.find("Allow: "), std::string::npos);
  }
  EXPECT_EQ(response->body.find("do-not-echo"), std::string::npos);
}

}  // namespace
}  // namespace orders::testing

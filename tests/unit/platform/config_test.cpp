#include <gtest/gtest.h>

#include <orders/platform/config.hpp>

namespace orders::platform {
namespace {

const ConfigDefaults kDefaults{"test-service", 8080, "group"};
const std::map<std::string, std::string> kSecretOnly = {{"JWT_SECRET", "a-secret-of-thirty-two-bytes-or-more"}};

// Settings that are not about auth, read with a valid key source so auth does not refuse the start.
ConfigResult LoadWithSecret(const ConfigDefaults& defaults, std::map<std::string, std::string> environment,
                            const std::vector<std::string>& arguments) {
  environment.emplace(kSecretOnly.begin()->first, kSecretOnly.begin()->second);
  return LoadConfig(defaults, environment, arguments);
}

TEST(Config, DefaultsApplyWithAnEmptyEnvironment) {
  const auto result = LoadConfig(kDefaults, kSecretOnly, {});
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->kafka_brokers, "127.0.0.1:9092");
  EXPECT_EQ(result.config->orders_topic, "orders.events");
  EXPECT_EQ(result.config->port, 8080);
  EXPECT_EQ(result.config->consumer_group, "group");
  EXPECT_EQ(result.config->read_model_schema, "read_model");
  EXPECT_TRUE(result.config->auth.enabled);
  EXPECT_EQ(result.config->auth.jwks_refresh, std::chrono::seconds(300));
}

TEST(Config, AuthIsOnByDefaultAndNeedsAKeySource) {
  const auto result = LoadConfig(kDefaults, {}, {});
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].find("JWT_SECRET"), std::string::npos);
  EXPECT_TRUE(LoadConfig(kDefaults, {{"JWKS_FILE", "/etc/orders/jwks.json"}}, {}).config);
  EXPECT_TRUE(LoadConfig(kDefaults, {{"JWKS_URL", "http://127.0.0.1:9000/jwks"}}, {}).config);
  EXPECT_FALSE(LoadConfig(kDefaults, {{"JWKS_URL", "ftp://idp/jwks"}}, {}).config);
}

TEST(Config, AuthOffIsExplicitAndOnlyOnLoopback) {
  for (const char* address : {"127.0.0.1", "127.3.2.1", "::1", "localhost"}) {
    const auto result = LoadConfig(kDefaults, {{"AUTH", "off"}, {"BIND_ADDRESS", address}}, {});
    ASSERT_TRUE(result.config) << address;
    EXPECT_FALSE(result.config->auth.enabled);
  }
  for (const char* address : {"0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "example.com"}) {
    const auto result = LoadConfig(kDefaults, {{"AUTH", "off"}, {"BIND_ADDRESS", address}}, {});
    EXPECT_FALSE(result.config) << address;
    ASSERT_EQ(result.problems.size(), 1u) << address;
    EXPECT_NE(result.problems[0].find("loopback"), std::string::npos);
  }
  EXPECT_FALSE(LoadConfig(kDefaults, {{"AUTH", "maybe"}}, {}).config);
}

TEST(Config, SubCommandsThatServeNoRequestsNeedNoKeys) {
  ConfigDefaults one_shot = kDefaults;
  one_shot.serves_requests = false;
  const auto result = LoadConfig(one_shot, {{"BIND_ADDRESS", "0.0.0.0"}}, {});
  ASSERT_TRUE(result.config);
  EXPECT_FALSE(result.config->auth.enabled);
}

TEST(Config, SecretsAreNeverFlags) {
  const auto result = LoadConfig(kDefaults, {}, {"--jwt-secret=a-secret-of-thirty-two-bytes-or-more"});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.problems.front(), "unknown argument --jwt-secret");
  EXPECT_EQ(ConfigUsage(kDefaults).find("--jwt-secret"), std::string::npos);
}

TEST(Config, IssuerAudienceAndRefreshAreRead) {
  const auto result = LoadConfig(kDefaults,
                                 {{"JWKS_FILE", "/k.json"},
                                  {"JWT_ISSUER", "https://idp"},
                                  {"JWT_AUDIENCE", "orders"},
                                  {"JWKS_REFRESH_SECONDS", "60"}},
                                 {});
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->auth.issuer, "https://idp");
  EXPECT_EQ(result.config->auth.audience, "orders");
  EXPECT_EQ(result.config->auth.jwks_refresh, std::chrono::seconds(60));
  EXPECT_FALSE(LoadConfig(kDefaults, {{"JWKS_FILE", "/k.json"}, {"JWKS_REFRESH_SECONDS", "0"}}, {}).config);
}

TEST(Config, FlagsOverrideTheEnvironment) {
  const auto result =
      LoadConfig(kDefaults, {{"PORT", "9000"}, {"ORDERS_TOPIC", "env.topic"}, {"AUTH", "off"}},
                 {"--port=9100", "--orders-topic", "flag.topic", "--allowed-origins=http://a, http://b"});
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->port, 9100);
  EXPECT_EQ(result.config->orders_topic, "flag.topic");
  EXPECT_EQ(result.config->allowed_origins, (std::vector<std::string>{"http://a", "http://b"}));
}

TEST(Config, EveryProblemIsReportedAtOnce) {
  const auto result = LoadConfig(kDefaults,
                                 {{"PORT", "http"},
                                  {"LOG_LEVEL", "loud"},
                                  {"JWT_SECRET", "short"},
                                  {"DATABASE_URL", "mysql://x"},
                                  {"READ_MODEL_SCHEMA", "Bad-Name"}},
                                 {"--bogus=1", "--kafka-brokers"});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.problems.size(), 7u);
}

TEST(Config, ShutdownGraceIsWholeSecondsUpToTenMinutes) {
  EXPECT_EQ(LoadWithSecret(kDefaults, {}, {}).config->shutdown_grace_seconds, 10);
  EXPECT_EQ(LoadWithSecret(kDefaults, {{"SHUTDOWN_GRACE", "0"}}, {}).config->shutdown_grace_seconds, 0);
  EXPECT_EQ(LoadWithSecret(kDefaults, {}, {"--shutdown-grace=30"}).config->shutdown_grace_seconds, 30);
  for (const char* bad : {"-1", "601", "10s", ""}) {
    const auto result = LoadWithSecret(kDefaults, {{"SHUTDOWN_GRACE", bad}}, {});
    EXPECT_FALSE(result.config) << bad;
    ASSERT_EQ(result.problems.size(), 1u) << bad;
    EXPECT_NE(result.problems[0].find("SHUTDOWN_GRACE"), std::string::npos);
  }
}

TEST(Config, HelpIsRecognised) { EXPECT_TRUE(LoadWithSecret(kDefaults, {}, {"--help"}).help_requested); }

TEST(Config, AllowedOriginsDefaultToTheNotifierPageOrigins) {
  const auto defaults = LoadWithSecret(kDefaults, {}, {});
  ASSERT_TRUE(defaults.config);
  EXPECT_EQ(defaults.config->allowed_origins,
            (std::vector<std::string>{"http://127.0.0.1:8082", "http://localhost:8082"}));
  const auto moved = LoadWithSecret(kDefaults, {{"PAGE_PORT", "9090"}}, {});
  ASSERT_TRUE(moved.config);
  EXPECT_EQ(moved.config->allowed_origins,
            (std::vector<std::string>{"http://127.0.0.1:9090", "http://localhost:9090"}));
  const auto notifier = LoadWithSecret({"notifier", 8082, ""}, {{"PORT", "9191"}}, {});
  ASSERT_TRUE(notifier.config);
  EXPECT_EQ(notifier.config->allowed_origins,
            (std::vector<std::string>{"http://127.0.0.1:9191", "http://localhost:9191"}));
}

TEST(Config, RateLimitsAreReadAndValidated) {
  const auto result = LoadWithSecret(kDefaults,
                                     {{"RATE_LIMIT_STAFF", "50/60"},
                                      {"RATE_LIMIT_SERVICE", "1000/2000"},
                                      {"RATE_LIMIT_CONNECT", "1/3"},
                                      {"RATE_LIMIT_KEYS", "1024"},
                                      {"RATE_LIMIT_WS_MESSAGES", "100/150"},
                                      {"MAX_CONNECTIONS", "64"},
                                      {"ALLOWED_HOSTS", "Orders.Internal:8080"}},
                                     {});
  ASSERT_TRUE(result.config) << result.problems.front();
  const auto& limits = result.config->rate_limits;
  EXPECT_TRUE(limits.enabled);
  EXPECT_EQ(limits.requests.staff.per_second, 50);
  EXPECT_EQ(limits.requests.service.burst, 2000);
  EXPECT_EQ(limits.requests.customer.per_second, 20);
  EXPECT_EQ(limits.connections.anonymous.burst, 3);
  EXPECT_EQ(limits.max_keys, 1024u);
  EXPECT_EQ(limits.socket_messages.per_second, 100);
  EXPECT_EQ(limits.socket_messages.burst, 150);
  EXPECT_EQ(result.config->max_connections, 64u);
  EXPECT_EQ(result.config->allowed_hosts, (std::vector<std::string>{"orders.internal"}));

  const auto off = LoadWithSecret(kDefaults, {{"RATE_LIMIT", "off"}}, {});
  ASSERT_TRUE(off.config);
  EXPECT_FALSE(off.config->rate_limits.enabled);

  const auto bad = LoadWithSecret(kDefaults,
                                  {{"RATE_LIMIT", "maybe"},
                                   {"RATE_LIMIT_CUSTOMER", "fast"},
                                   {"RATE_LIMIT_KEYS", "3"},
                                   {"MAX_CONNECTIONS", "x"},
                                   {"RATE_LIMIT_WS_MESSAGES", "0/0"}},
                                  {});
  EXPECT_FALSE(bad.config);
  EXPECT_EQ(bad.problems.size(), 5u);
}

TEST(Config, AllowedOriginsMustBeOriginsAsBrowsersSendThem) {
  EXPECT_TRUE(
      LoadWithSecret(kDefaults, {{"ALLOWED_ORIGINS", "https://shop.example, http://localhost:3000, *"}}, {}).config);
  for (const char* bad : {"shop.example", "https://shop.example/", "https://shop.example/app", "ftp://x", "http://"}) {
    const auto result = LoadWithSecret(kDefaults, {{"ALLOWED_ORIGINS", bad}}, {});
    EXPECT_FALSE(result.config) << bad;
  }
}

TEST(Config, InventoryTopicDefaultsAndMustDifferFromTheOrdersTopic) {
  const auto defaults = LoadWithSecret(kDefaults, {}, {});
  ASSERT_TRUE(defaults.config);
  EXPECT_EQ(defaults.config->inventory_topic, "inventory.events");
  const auto set = LoadWithSecret(kDefaults, {{"INVENTORY_TOPIC", "stock.v2"}}, {});
  ASSERT_TRUE(set.config);
  EXPECT_EQ(set.config->inventory_topic, "stock.v2");
  const auto same = LoadWithSecret(kDefaults, {{"INVENTORY_TOPIC", "orders.events"}}, {});
  EXPECT_FALSE(same.config);
  EXPECT_FALSE(LoadWithSecret(kDefaults, {{"INVENTORY_TOPIC", ""}}, {}).config);
}

}  // namespace
}  // namespace orders::platform

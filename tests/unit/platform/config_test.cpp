#include <gtest/gtest.h>

#include <orders/platform/config.hpp>

namespace orders::platform {
namespace {

const ConfigDefaults kDefaults{"test-service", 8080, "group"};

TEST(Config, DefaultsApplyWithAnEmptyEnvironment) {
  const auto result = LoadConfig(kDefaults, {}, {});
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->kafka_brokers, "127.0.0.1:9092");
  EXPECT_EQ(result.config->orders_topic, "orders.events");
  EXPECT_EQ(result.config->port, 8080);
  EXPECT_EQ(result.config->consumer_group, "group");
  EXPECT_EQ(result.config->read_model_schema, "read_model");
  EXPECT_TRUE(result.config->jwt_secret.empty());
}

TEST(Config, FlagsOverrideTheEnvironment) {
  const auto result =
      LoadConfig(kDefaults, {{"PORT", "9000"}, {"ORDERS_TOPIC", "env.topic"}},
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
  EXPECT_EQ(LoadConfig(kDefaults, {}, {}).config->shutdown_grace_seconds, 10);
  EXPECT_EQ(LoadConfig(kDefaults, {{"SHUTDOWN_GRACE", "0"}}, {}).config->shutdown_grace_seconds, 0);
  EXPECT_EQ(LoadConfig(kDefaults, {}, {"--shutdown-grace=30"}).config->shutdown_grace_seconds, 30);
  for (const char* bad : {"-1", "601", "10s", ""}) {
    const auto result = LoadConfig(kDefaults, {{"SHUTDOWN_GRACE", bad}}, {});
    EXPECT_FALSE(result.config) << bad;
    ASSERT_EQ(result.problems.size(), 1u) << bad;
    EXPECT_NE(result.problems[0].find("SHUTDOWN_GRACE"), std::string::npos);
  }
}

TEST(Config, HelpIsRecognised) { EXPECT_TRUE(LoadConfig(kDefaults, {}, {"--help"}).help_requested); }

TEST(Config, AllowedOriginsDefaultToTheNotifierPageOrigins) {
  const auto defaults = LoadConfig(kDefaults, {}, {});
  ASSERT_TRUE(defaults.config);
  EXPECT_EQ(defaults.config->allowed_origins,
            (std::vector<std::string>{"http://127.0.0.1:8082", "http://localhost:8082"}));
  const auto moved = LoadConfig(kDefaults, {{"PAGE_PORT", "9090"}}, {});
  ASSERT_TRUE(moved.config);
  EXPECT_EQ(moved.config->allowed_origins,
            (std::vector<std::string>{"http://127.0.0.1:9090", "http://localhost:9090"}));
  const auto notifier = LoadConfig({"notifier", 8082, ""}, {{"PORT", "9191"}}, {});
  ASSERT_TRUE(notifier.config);
  EXPECT_EQ(notifier.config->allowed_origins,
            (std::vector<std::string>{"http://127.0.0.1:9191", "http://localhost:9191"}));
}

TEST(Config, RateLimitsAreReadAndValidated) {
  const auto result = LoadConfig(kDefaults,
                                 {{"RATE_LIMIT_STAFF", "50/60"},
                                  {"RATE_LIMIT_SERVICE", "1000/2000"},
                                  {"RATE_LIMIT_CONNECT", "1/3"},
                                  {"RATE_LIMIT_KEYS", "1024"},
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
  EXPECT_EQ(result.config->max_connections, 64u);
  EXPECT_EQ(result.config->allowed_hosts, (std::vector<std::string>{"orders.internal"}));

  const auto off = LoadConfig(kDefaults, {{"RATE_LIMIT", "off"}}, {});
  ASSERT_TRUE(off.config);
  EXPECT_FALSE(off.config->rate_limits.enabled);

  const auto bad = LoadConfig(
      kDefaults,
      {{"RATE_LIMIT", "maybe"}, {"RATE_LIMIT_CUSTOMER", "fast"}, {"RATE_LIMIT_KEYS", "3"}, {"MAX_CONNECTIONS", "x"}},
      {});
  EXPECT_FALSE(bad.config);
  EXPECT_EQ(bad.problems.size(), 4u);
}

TEST(Config, AllowedOriginsMustBeOriginsAsBrowsersSendThem) {
  EXPECT_TRUE(
      LoadConfig(kDefaults, {{"ALLOWED_ORIGINS", "https://shop.example, http://localhost:3000, *"}}, {}).config);
  for (const char* bad : {"shop.example", "https://shop.example/", "https://shop.example/app", "ftp://x", "http://"}) {
    const auto result = LoadConfig(kDefaults, {{"ALLOWED_ORIGINS", bad}}, {});
    EXPECT_FALSE(result.config) << bad;
  }
}

}  // namespace
}  // namespace orders::platform

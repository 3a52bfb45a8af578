#include <gtest/gtest.h>

#include <orders/platform/config.hpp>

namespace orders::platform {
namespace {

const ConfigDefaults kDefaults{"test-service", 8080, "group"};
const std::map<std::string, std::string> kSecretOnly = {{"JWT_SECRET", "a-secret-of-thirty-two-bytes-or-more"}};

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

TEST(Config, HelpIsRecognised) { EXPECT_TRUE(LoadConfig(kDefaults, {}, {"--help"}).help_requested); }

}  // namespace
}  // namespace orders::platform

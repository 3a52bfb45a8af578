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

}  // namespace
}  // namespace orders::platform

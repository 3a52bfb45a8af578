// WEBHOOK_* settings: defaults, every variable read, every bad value named.

#include <gtest/gtest.h>

#include <orders/notifier/webhooks/webhook_config.hpp>

namespace orders::notifier::webhooks {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST(WebhookConfig, DefaultsFollowTheContract) {
  const auto result = LoadWebhookConfig({});
  ASSERT_TRUE(result.config) << result.problems.front();
  const auto& config = *result.config;
  EXPECT_FALSE(config.enabled) << "off without a database to keep registrations in";
  EXPECT_EQ(config.retry_schedule, (std::vector<milliseconds>{5s, 30s, 2min, 15min, 1h, 6h, 24h}));
  EXPECT_EQ(config.timeout, 10s);
  EXPECT_EQ(config.disable_after, std::chrono::hours(24 * 5));
  EXPECT_EQ(config.workers, 16);
  EXPECT_EQ(config.max_endpoints, 1000u);
  EXPECT_FALSE(config.allow_private_targets);
  EXPECT_EQ(config.ca_file, "");
  EXPECT_EQ(config.max_response_bytes, 65536u);
  EXPECT_EQ(config.queue_per_endpoint, 1000u);
}

TEST(WebhookConfig, WebhooksAreOnByDefaultWhenADatabaseIsConfigured) {
  EXPECT_TRUE(LoadWebhookConfig({{"DATABASE_URL", "postgresql://orders@db/orders"}}).config->enabled);
  EXPECT_FALSE(
      LoadWebhookConfig({{"DATABASE_URL", "postgresql://orders@db/orders"}, {"WEBHOOKS", "off"}}).config->enabled);
  EXPECT_TRUE(LoadWebhookConfig({{"WEBHOOKS", "on"}}).config->enabled);
  EXPECT_FALSE(LoadWebhookConfig({{"DATABASE_URL", ""}}).config->enabled);
}

TEST(WebhookConfig, EveryVariableIsRead) {
  const auto result = LoadWebhookConfig({{"WEBHOOKS", "on"},
                                         {"WEBHOOK_RETRY_SCHEDULE", "100ms,1s,1m"},
                                         {"WEBHOOK_TIMEOUT", "2s"},
                                         {"WEBHOOK_DISABLE_AFTER", "1h"},
                                         {"WEBHOOK_WORKERS", "4"},
                                         {"WEBHOOK_MAX_ENDPOINTS", "50"},
                                         {"WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"},
                                         {"WEBHOOK_CA_FILE", "/dev/null"},
                                         {"WEBHOOK_MAX_RESPONSE_BYTES", "2048"},
                                         {"WEBHOOK_QUEUE_PER_ENDPOINT", "10"}});
  ASSERT_TRUE(result.config) << result.problems.front();
  const auto& config = *result.config;
  EXPECT_TRUE(config.enabled);
  EXPECT_EQ(config.retry_schedule, (std::vector<milliseconds>{100ms, 1s, 1min}));
  EXPECT_EQ(config.timeout, 2s);
  EXPECT_EQ(config.disable_after, 1h);
  EXPECT_EQ(config.workers, 4);
  EXPECT_EQ(config.max_endpoints, 50u);
  EXPECT_TRUE(config.allow_private_targets);
  EXPECT_EQ(config.ca_file, "/dev/null");
  EXPECT_EQ(config.max_response_bytes, 2048u);
  EXPECT_EQ(config.queue_per_endpoint, 10u);
}

TEST(WebhookConfig, BadValuesAreAllNamedAndRefuseTheStart) {
  const auto result = LoadWebhookConfig({{"WEBHOOKS", "yes"},
                                         {"WEBHOOK_RETRY_SCHEDULE", "5s,,30s"},
                                         {"WEBHOOK_TIMEOUT", "0s"},
                                         {"WEBHOOK_DISABLE_AFTER", "forever"},
                                         {"WEBHOOK_WORKERS", "0"},
                                         {"WEBHOOK_MAX_ENDPOINTS", "-1"},
                                         {"WEBHOOK_ALLOW_PRIVATE_TARGETS", "1"},
                                         {"WEBHOOK_CA_FILE", "/nonexistent/ca.pem"},
                                         {"WEBHOOK_MAX_RESPONSE_BYTES", "10"},
                                         {"WEBHOOK_QUEUE_PER_ENDPOINT", "lots"}});
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.problems.size(), 10u);
  for (const char* name : {"WEBHOOKS ", "WEBHOOK_RETRY_SCHEDULE", "WEBHOOK_TIMEOUT", "WEBHOOK_DISABLE_AFTER",
                           "WEBHOOK_WORKERS", "WEBHOOK_MAX_ENDPOINTS", "WEBHOOK_ALLOW_PRIVATE_TARGETS",
                           "WEBHOOK_CA_FILE", "WEBHOOK_MAX_RESPONSE_BYTES", "WEBHOOK_QUEUE_PER_ENDPOINT"}) {
    EXPECT_TRUE(std::any_of(result.problems.begin(), result.problems.end(),
                            [&](const std::string& problem) { return problem.starts_with(name); }))
        << name << " is not named";
  }
}

TEST(WebhookConfig, ARetryScheduleIsOneToThirtyStepsOfTenMillisecondsToSevenDays) {
  EXPECT_EQ(ParseRetrySchedule("5s"), (std::vector<milliseconds>{5s}));
  EXPECT_EQ(ParseRetrySchedule("10ms,7d"), (std::vector<milliseconds>{10ms, std::chrono::hours(24 * 7)}));
  for (const char* bad : {"", ",", "5s,", "9ms", "8d", "5 s", "-5s", "5s;30s"}) {
    EXPECT_EQ(ParseRetrySchedule(bad), std::nullopt) << bad;
  }
  std::string thirty = "1s";
  for (int i = 1; i < 30; ++i) thirty += ",1s";
  EXPECT_TRUE(ParseRetrySchedule(thirty));
  EXPECT_EQ(ParseRetrySchedule(thirty + ",1s"), std::nullopt);
}

}  // namespace
}  // namespace orders::notifier::webhooks

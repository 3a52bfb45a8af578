// The payment gateway settings: defaults, every variable read, and a start refused with every bad
// value named.

#include <gtest/gtest.h>

#include <orders/command/payment_config.hpp>

namespace orders::command {
namespace {

using std::chrono::milliseconds;

TEST(PaymentConfig, DefaultsAreTheEmbeddedSimulatorAndAFifteenMinuteDeadline) {
  const auto result = LoadPaymentConfig({});
  ASSERT_TRUE(result.config) << result.problems.front();
  const auto& config = *result.config;
  EXPECT_EQ(config.kind, PaymentConfig::Kind::kSimulator);
  EXPECT_EQ(config.simulator_latency, milliseconds(20));
  EXPECT_EQ(config.simulator_decline_above_cents, 1000000);
  EXPECT_EQ(config.payment_timeout, std::chrono::minutes(15));
  EXPECT_EQ(config.retry.max_attempts, 4);
  EXPECT_EQ(config.breaker.failure_threshold, 5);
}

TEST(PaymentConfig, EveryVariableIsRead) {
  const auto result = LoadPaymentConfig({{"PAYMENT_GATEWAY", "http"},
                                         {"PAYMENT_URL", "http://127.0.0.1:9100/pay/"},
                                         {"PAYMENT_SIMULATOR_LATENCY_MS", "0"},
                                         {"PAYMENT_SIMULATOR_DECLINE_ABOVE_CENTS", "500"},
                                         {"PAYMENT_REQUEST_TIMEOUT_MS", "250"},
                                         {"PAYMENT_RETRY_ATTEMPTS", "6"},
                                         {"PAYMENT_RETRY_INITIAL_MS", "10"},
                                         {"PAYMENT_RETRY_MAX_MS", "80"},
                                         {"PAYMENT_BREAKER_THRESHOLD", "3"},
                                         {"PAYMENT_BREAKER_OPEN_MS", "700"},
                                         {"PAYMENT_CONCURRENCY", "2"},
                                         {"PAYMENT_TIMEOUT", "90s"}});
  ASSERT_TRUE(result.config) << result.problems.front();
  const auto& config = *result.config;
  EXPECT_EQ(config.kind, PaymentConfig::Kind::kHttp);
  EXPECT_EQ(config.url, "http://127.0.0.1:9100/pay");
  EXPECT_EQ(config.simulator_latency, milliseconds(0));
  EXPECT_EQ(config.simulator_decline_above_cents, 500);
  EXPECT_EQ(config.request_timeout, milliseconds(250));
  EXPECT_EQ(config.retry.max_attempts, 6);
  EXPECT_EQ(config.retry.initial_backoff, milliseconds(10));
  EXPECT_EQ(config.retry.max_backoff, milliseconds(80));
  EXPECT_EQ(config.breaker.failure_threshold, 3);
  EXPECT_EQ(config.breaker.open_for, milliseconds(700));
  EXPECT_EQ(config.concurrency, 2);
  EXPECT_EQ(config.payment_timeout, std::chrono::seconds(90));
}

TEST(PaymentConfig, BadValuesAreAllNamedAndRefuseTheStart) {
  const auto result = LoadPaymentConfig({{"PAYMENT_GATEWAY", "stripe"},
                                         {"PAYMENT_URL", "https://user:pw@gateway.example/"},
                                         {"PAYMENT_SIMULATOR_LATENCY_MS", "-1"},
                                         {"PAYMENT_RETRY_ATTEMPTS", "0"},
                                         {"PAYMENT_RETRY_INITIAL_MS", "500"},
                                         {"PAYMENT_RETRY_MAX_MS", "100"},
                                         {"PAYMENT_BREAKER_THRESHOLD", "many"},
                                         {"PAYMENT_TIMEOUT", "15 minutes"}});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.problems.size(), 7u);
  for (const auto& problem : result.problems) {
    EXPECT_EQ(problem.find("pw@"), std::string::npos) << "the URL's credentials leak: " << problem;
  }
}

TEST(PaymentConfig, TheWorkflowIsOnUnlessSwitchedOff) {
  EXPECT_TRUE(LoadPaymentConfig({}).config->workflow);
  EXPECT_TRUE(LoadPaymentConfig({{"WORKFLOW", "on"}}).config->workflow);
  EXPECT_FALSE(LoadPaymentConfig({{"WORKFLOW", "off"}}).config->workflow);
  const auto result = LoadPaymentConfig({{"WORKFLOW", "no"}});
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0], "WORKFLOW must be on or off");
}

TEST(PaymentConfig, TheHttpGatewayNeedsAUrl) {
  const auto result = LoadPaymentConfig({{"PAYMENT_GATEWAY", "http"}});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].find("PAYMENT_URL"), std::string::npos);
  EXPECT_FALSE(LoadPaymentConfig({{"PAYMENT_GATEWAY", "http"}, {"PAYMENT_URL", "http://host:0"}}).config);
  EXPECT_FALSE(LoadPaymentConfig({{"PAYMENT_GATEWAY", "http"}, {"PAYMENT_URL", "http://host/x?key=1"}}).config);
  EXPECT_TRUE(LoadPaymentConfig({{"PAYMENT_GATEWAY", "http"}, {"PAYMENT_URL", "http://[::1]:8000"}}).config);
}

TEST(PaymentConfig, DurationsTakeAUnitOrSeconds) {
  EXPECT_EQ(ParseDuration("15m"), milliseconds(900'000));
  EXPECT_EQ(ParseDuration("900s"), milliseconds(900'000));
  EXPECT_EQ(ParseDuration("900"), milliseconds(900'000));
  EXPECT_EQ(ParseDuration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(ParseDuration("2d"), milliseconds(172'800'000));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  for (const char* bad : {"", "m", "1.5h", "-5s", "5 s", "5w", "s5"})
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  EXPECT_FALSE(LoadPaymentConfig({{"PAYMENT_TIMEOUT", "500ms"}}).config);  // below 1s
  EXPECT_FALSE(LoadPaymentConfig({{"PAYMENT_TIMEOUT", "31d"}}).config);
}

}  // namespace
}  // namespace orders::command

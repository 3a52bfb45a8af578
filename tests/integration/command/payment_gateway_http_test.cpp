// The HTTP payment gateway adapter against a real gateway process (tests/support/payment_gateway_stub.py):
// answers, retries with backoff on 5xx, garbage and hangs, the circuit breaker opening and closing,
// timeouts, and one authorization per idempotency key however often a call is retried or repeated.
// Needs no Kafka or PostgreSQL.

#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

#include <orders/command/payment/http_gateway.hpp>
#include <orders/testing/payment_gateway_stub.hpp>
#include <orders/testing/service_process.hpp>

namespace orders::command::payment {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

const std::string kOrderId = "6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c";

class HttpGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(stub_.port(), 0) << "the gateway stub did not start"; }

  PaymentConfig Config() const {
    PaymentConfig config;
    config.kind = PaymentConfig::Kind::kHttp;
    config.url = stub_.Url();
    config.request_timeout = milliseconds(1000);
    config.retry = RetrySettings{4, milliseconds(20), milliseconds(80)};
    config.breaker = BreakerSettings{50, milliseconds(500)};
    config.concurrency = 4;
    return config;
  }

  static AuthorizationRequest Request(const std::string& order_id = kOrderId, std::int64_t amount = 3000) {
    return {order_id, amount, "USD", "customer-1"};
  }

  static AuthorizationOutcome Authorize(PaymentGateway& gateway, AuthorizationRequest request) {
    std::promise<AuthorizationOutcome> answer;
    gateway.Authorize(std::move(request), [&answer](AuthorizationOutcome outcome) { answer.set_value(outcome); });
    auto future = answer.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return future.get();
  }

  int Requests(const std::string& key) { return stub_.Calls()["requests"].value(key, 0); }
  int Charges(const std::string& key) { return stub_.Calls()["charges"].value(key, 0); }

  testing::PaymentGatewayStub stub_;
};

TEST_F(HttpGatewayTest, AnApprovedAuthorizationCarriesTheGatewaysPaymentId) {
  HttpPaymentGateway gateway(Config());
  const auto outcome = Authorize(gateway, Request());
  const auto* authorized = std::get_if<PaymentAuthorization>(&outcome);
  ASSERT_TRUE(authorized);
  EXPECT_EQ(authorized->payment_id.rfind("pay_", 0), 0u);
  EXPECT_EQ(Requests(kOrderId), 1);
  EXPECT_EQ(Charges(kOrderId), 1);
}

TEST_F(HttpGatewayTest, ADeclineIsTheGatewaysAnswerAndIsNotRetried) {
  stub_.Script({{"mode", "decline"}, {"reason", "card_expired"}});
  HttpPaymentGateway gateway(Config());
  EXPECT_EQ(Authorize(gateway, Request()), AuthorizationOutcome(PaymentDecline{"card_expired"}));
  EXPECT_EQ(Requests(kOrderId), 1);
  EXPECT_EQ(Charges(kOrderId), 0);
}

TEST_F(HttpGatewayTest, ServerErrorsAreRetriedWithBackoffUntilTheGatewayRecovers) {
  stub_.Script({{"mode", "fail"}, {"times", 3}, {"status", 500}});
  auto config = Config();
  config.retry = RetrySettings{4, milliseconds(100), milliseconds(1000)};
  HttpPaymentGateway gateway(config);
  const auto started = Clock::now();
  const auto outcome = Authorize(gateway, Request());
  EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(outcome));
  // Three waits of at least 50, 100 and 200 ms (half of each step of the doubling schedule).
  EXPECT_GE(Clock::now() - started, milliseconds(350));
  EXPECT_EQ(Requests(kOrderId), 4);
  EXPECT_EQ(Charges(kOrderId), 1);
}

TEST_F(HttpGatewayTest, GarbageAndUnexpectedStatusesAreRetriedLikeServerErrors) {
  HttpPaymentGateway gateway(Config());
  stub_.Script({{"mode", "garbage"}, {"times", 2}});
  EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(Authorize(gateway, Request())));
  EXPECT_EQ(Requests(kOrderId), 3);

  const std::string other = "7a2d3c8f-9b5e-4f4c-8d2b-3e4f5a6b7c8d";
  stub_.Script({{"mode", "status"}, {"status", 302}, {"body", ""}, {"times", 1}});
  EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(Authorize(gateway, Request(other))));
  EXPECT_EQ(Requests(other), 2);
}

TEST_F(HttpGatewayTest, AGatewayThatStaysDownEndsTheCallAsARetryableFailure) {
  stub_.Script({{"mode", "fail"}, {"status", 503}});
  HttpPaymentGateway gateway(Config());
  const auto outcome = Authorize(gateway, Request());
  const auto* failure = std::get_if<PaymentFailure>(&outcome);
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->why.find("4 attempts"), std::string::npos) << failure->why;
  EXPECT_EQ(Requests(kOrderId), 4);
}

TEST_F(HttpGatewayTest, AHangingGatewayTimesOutAndTheRetryIsAnswered) {
  stub_.Script({{"mode", "hang"}, {"ms", 5000}, {"times", 1}});
  auto config = Config();
  config.request_timeout = milliseconds(300);
  HttpPaymentGateway gateway(config);
  const auto started = Clock::now();
  EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(Authorize(gateway, Request())));
  const auto took = Clock::now() - started;
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(3000));  // the timeout, not the hang, decided
  EXPECT_EQ(Requests(kOrderId), 2);
  EXPECT_EQ(Charges(kOrderId), 1);
}

TEST_F(HttpGatewayTest, ASlowGatewayWithinTheTimeoutIsWaitedFor) {
  stub_.Script({{"mode", "slow"}, {"ms", 300}});
  HttpPaymentGateway gateway(Config());
  EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(Authorize(gateway, Request())));
  EXPECT_EQ(Requests(kOrderId), 1);
}

TEST_F(HttpGatewayTest, AnUnreachableGatewayIsAFailureNotACrash) {
  auto config = Config();
  config.url = "http://127.0.0.1:1";
  config.retry = RetrySettings{2, milliseconds(1), milliseconds(1)};
  HttpPaymentGateway gateway(config);
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(Authorize(gateway, Request())));
}

TEST_F(HttpGatewayTest, TheCircuitOpensOnADeadGatewayAndAProbeClosesItOnceItRecovers) {
  stub_.Script({{"mode", "fail"}, {"status", 500}});
  auto config = Config();
  config.retry = RetrySettings{1, milliseconds(1), milliseconds(1)};
  config.breaker = BreakerSettings{3, milliseconds(500)};
  HttpPaymentGateway gateway(config);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::holds_alternative<PaymentFailure>(Authorize(gateway, Request())));
  EXPECT_EQ(gateway.BreakerState(), CircuitBreaker::State::kOpen);
  // Open: calls fail at once and the gateway sees none of them.
  for (int i = 0; i < 20; ++i) {
    const auto outcome = Authorize(gateway, Request());
    ASSERT_TRUE(std::holds_alternative<PaymentFailure>(outcome));
    EXPECT_NE(std::get<PaymentFailure>(outcome).why.find("circuit open"), std::string::npos);
  }
  EXPECT_EQ(Requests(kOrderId), 3);

  // Still down at the probe: open again, one more request.
  std::this_thread::sleep_for(milliseconds(550));
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(Authorize(gateway, Request())));
  EXPECT_EQ(Requests(kOrderId), 4);
  EXPECT_EQ(gateway.BreakerState(), CircuitBreaker::State::kOpen);

  // Recovered at the next probe: closed, and calls flow again.
  stub_.Script({{"mode", "approve"}});
  std::this_thread::sleep_for(milliseconds(550));
  EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(Authorize(gateway, Request())));
  EXPECT_EQ(gateway.BreakerState(), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(
      Authorize(gateway, Request("7a2d3c8f-9b5e-4f4c-8d2b-3e4f5a6b7c8d"))));
}

TEST_F(HttpGatewayTest, RepeatedAndConcurrentCallsForAnOrderChargeItOnce) {
  stub_.Script({{"mode", "fail"}, {"times", 5}, {"status", 500}});
  HttpPaymentGateway gateway(Config());
  std::vector<std::promise<AuthorizationOutcome>> answers(8);
  for (auto& answer : answers) {
    gateway.Authorize(Request(), [&answer](AuthorizationOutcome outcome) { answer.set_value(outcome); });
  }
  std::set<std::string> payment_ids;
  for (auto& answer : answers) {
    const auto outcome = answer.get_future().get();
    if (const auto* authorized = std::get_if<PaymentAuthorization>(&outcome))
      payment_ids.insert(authorized->payment_id);
  }
  // A second gateway client (a restarted service) asking again gets the same payment.
  HttpPaymentGateway restarted(Config());
  const auto again = Authorize(restarted, Request());
  ASSERT_TRUE(std::holds_alternative<PaymentAuthorization>(again));
  payment_ids.insert(std::get<PaymentAuthorization>(again).payment_id);
  EXPECT_EQ(payment_ids.size(), 1u);
  EXPECT_EQ(Charges(kOrderId), 1);
  EXPECT_GT(Requests(kOrderId), 9);
}

TEST_F(HttpGatewayTest, ARefundUsesItsOwnKeyAndIsRetried) {
  HttpPaymentGateway gateway(Config());
  const auto authorized = Authorize(gateway, Request());
  ASSERT_TRUE(std::holds_alternative<PaymentAuthorization>(authorized));
  stub_.Script({{"mode", "fail"}, {"times", 2}, {"status", 502}});
  std::promise<RefundOutcome> answer;
  gateway.Refund({kOrderId, std::get<PaymentAuthorization>(authorized).payment_id, 3000},
                 [&answer](RefundOutcome outcome) { answer.set_value(outcome); });
  EXPECT_EQ(answer.get_future().get(), RefundOutcome(PaymentRefund{}));
  const auto calls = stub_.Calls();
  EXPECT_EQ(calls["requests"].value(kOrderId + ":refund", 0), 3);
  EXPECT_EQ(calls["refunds"].value(kOrderId + ":refund", 0), 1);
}

TEST_F(HttpGatewayTest, StoppingAnswersCallsWaitingForARetry) {
  stub_.Script({{"mode", "fail"}, {"status", 500}});
  auto config = Config();
  config.retry = RetrySettings{5, milliseconds(10'000), milliseconds(10'000)};
  HttpPaymentGateway gateway(config);
  std::promise<AuthorizationOutcome> answer;
  gateway.Authorize(Request(), [&answer](AuthorizationOutcome outcome) { answer.set_value(outcome); });
  // Wait for the first attempt to fail, then stop during the 5-10 s backoff.
  for (int i = 0; i < 100 && Requests(kOrderId) == 0; ++i) std::this_thread::sleep_for(milliseconds(20));
  const auto stopping = Clock::now();
  gateway.Stop();
  auto future = answer.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(future.get()));
  EXPECT_LT(Clock::now() - stopping, milliseconds(2000));
}

}  // namespace
}  // namespace orders::command::payment

namespace orders::command {
namespace {

// A bad PAYMENT_* value stops the command service at start, before it touches Kafka, naming the
// variable (and not echoing the URL, which may carry what a log should not).
TEST(PaymentSettingsAtStart, ABadPaymentSettingRefusesToStartTheCommandService) {
  testing::ServiceProcess service(testing::CommandServiceBinary(), {{"AUTH", "off"},
                                                                    {"KAFKA_BROKERS", "127.0.0.1:1"},
                                                                    {"PAYMENT_GATEWAY", "http"},
                                                                    {"PAYMENT_URL", "ftp://user:hunter2@gateway"},
                                                                    {"PAYMENT_TIMEOUT", "soon"}});
  EXPECT_FALSE(service.Start(std::chrono::seconds(10)));
  const auto log = service.LogText();
  EXPECT_NE(log.find("PAYMENT_URL"), std::string::npos) << log;
  EXPECT_NE(log.find("PAYMENT_TIMEOUT"), std::string::npos) << log;
  EXPECT_EQ(log.find("hunter2"), std::string::npos) << log;
  EXPECT_FALSE(service.running());
}

}  // namespace
}  // namespace orders::command

// The gateway wire format (what an answer means) and the embedded simulator.

#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <thread>

#include <orders/command/payment/gateway_protocol.hpp>
#include <orders/command/payment/make_payment_gateway.hpp>
#include <orders/command/payment/simulated_gateway.hpp>

namespace orders::command::payment {
namespace {

const AuthorizationRequest kRequest{"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c", 3000, "USD", "customer-1"};

TEST(GatewayProtocol, RequestsCarryTheContractFieldsAndThePerOrderKey) {
  EXPECT_EQ(AuthorizationBody(kRequest), R"({"amountCents":3000,"currency":"USD","customerId":"customer-1",)"
                                         R"("orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c"})");
  EXPECT_EQ(AuthorizationKey(kRequest), kRequest.order_id);
  const RefundRequest refund{kRequest.order_id, "pay_1", 3000};
  EXPECT_EQ(RefundBody(refund),
            R"({"amountCents":3000,"orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c","paymentId":"pay_1"})");
  EXPECT_EQ(RefundKey(refund), kRequest.order_id + ":refund");
}

TEST(GatewayProtocol, DocumentedAnswersAreOutcomes) {
  EXPECT_EQ(ReadAuthorizationAnswer(200, R"({"status":"authorized","paymentId":"pay_1"})"),
            AuthorizationOutcome(PaymentAuthorization{"pay_1"}));
  EXPECT_EQ(ReadAuthorizationAnswer(201, R"({"status":"declined","reason":"card expired"})"),
            AuthorizationOutcome(PaymentDecline{"card expired"}));
  EXPECT_EQ(ReadRefundAnswer(200, R"({"status":"refunded"})"), RefundOutcome(PaymentRefund{}));
}

TEST(GatewayProtocol, AnythingElseIsAFailureToRetryThatQuotesNoBody) {
  const std::string secret = "sk_live_secret";
  const std::vector<std::pair<int, std::string>> answers = {
      {500, R"({"status":"authorized","paymentId":"pay_1"})"},
      {503, ""},
      {302, ""},
      {404, R"({"error":")" + secret + R"("})"},
      {200, "<html>" + secret},
      {200, R"(["authorized"])"},
      {200, R"({"status":"maybe","detail":")" + secret + R"("})"},
      {200, R"({"status":"authorized"})"},
      {200, R"({"status":"authorized","paymentId":"has space"})"},
      {200, R"({"status":"authorized","paymentId":")" + std::string(129, 'p') + R"("})"},
      {200, R"({"status":"declined","reason":"a\u0000b"})"},
  };
  for (const auto& [status, body] : answers) {
    const auto outcome = ReadAuthorizationAnswer(status, body);
    const auto* failure = std::get_if<PaymentFailure>(&outcome);
    ASSERT_TRUE(failure) << status << " " << body;
    EXPECT_EQ(failure->why.find(secret), std::string::npos);
  }
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(ReadRefundAnswer(200, R"({"status":"authorized"})")));
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(ReadRefundAnswer(500, R"({"status":"refunded"})")));
}

AuthorizationOutcome AuthorizeAndWait(PaymentGateway& gateway, AuthorizationRequest request) {
  std::promise<AuthorizationOutcome> answer;
  gateway.Authorize(std::move(request), [&answer](AuthorizationOutcome outcome) { answer.set_value(outcome); });
  return answer.get_future().get();
}

TEST(SimulatedGateway, AuthorizesUpToTheLimitWithTheSameIdForTheSameOrder) {
  SimulatedPaymentGateway gateway(std::chrono::milliseconds(0), 3000);
  const auto first = AuthorizeAndWait(gateway, kRequest);
  EXPECT_EQ(first, AuthorizationOutcome(PaymentAuthorization{"sim_" + kRequest.order_id}));
  EXPECT_EQ(AuthorizeAndWait(gateway, kRequest), first);
  auto above = kRequest;
  above.amount_cents = 3001;
  EXPECT_TRUE(std::holds_alternative<PaymentDecline>(AuthorizeAndWait(gateway, above)));
}

TEST(SimulatedGateway, AnswersAfterItsLatencyAndNeverInsideTheCall) {
  SimulatedPaymentGateway gateway(std::chrono::milliseconds(50), 1000000);
  std::promise<void> answered;
  const auto asked = std::chrono::steady_clock::now();
  const auto caller = std::this_thread::get_id();
  std::thread::id answered_on;
  gateway.Authorize(kRequest, [&](AuthorizationOutcome) {
    answered_on = std::this_thread::get_id();
    answered.set_value();
  });
  answered.get_future().get();
  EXPECT_GE(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(50));
  EXPECT_NE(answered_on, caller);
}

TEST(SimulatedGateway, WithoutLatencyAnswersInsideTheCallAndFailsOnceStopped) {
  SimulatedPaymentGateway gateway(std::chrono::milliseconds(0), 1000000);
  const auto caller = std::this_thread::get_id();
  std::optional<std::thread::id> answered_on;
  gateway.Authorize(kRequest, [&](AuthorizationOutcome outcome) {
    answered_on = std::this_thread::get_id();
    EXPECT_TRUE(std::holds_alternative<PaymentAuthorization>(outcome));
  });
  EXPECT_EQ(answered_on, caller);
  std::optional<RefundOutcome> refunded;
  gateway.Refund({kRequest.order_id, "sim_" + kRequest.order_id, 3000},
                 [&](RefundOutcome outcome) { refunded = outcome; });
  EXPECT_EQ(refunded, RefundOutcome(PaymentRefund{}));
  gateway.Stop();
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(AuthorizeAndWait(gateway, kRequest)));
}

TEST(SimulatedGateway, StoppingAnswersWhatWaitsWithAFailure) {
  SimulatedPaymentGateway gateway(std::chrono::seconds(60), 1000000);
  std::promise<AuthorizationOutcome> answer;
  gateway.Authorize(kRequest, [&answer](AuthorizationOutcome outcome) { answer.set_value(outcome); });
  gateway.Stop();
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(answer.get_future().get()));
  EXPECT_TRUE(std::holds_alternative<PaymentFailure>(AuthorizeAndWait(gateway, kRequest)));
}

TEST(SimulatedGateway, RefundsWhatItAuthorized) {
  auto gateway = MakePaymentGateway(PaymentConfig{});
  std::promise<RefundOutcome> answer;
  gateway->Refund({kRequest.order_id, "sim_" + kRequest.order_id, 3000},
                  [&answer](RefundOutcome outcome) { answer.set_value(outcome); });
  EXPECT_EQ(answer.get_future().get(), RefundOutcome(PaymentRefund{}));
}

}  // namespace
}  // namespace orders::command::payment

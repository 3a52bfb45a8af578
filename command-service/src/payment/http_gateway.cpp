#include <orders/command/payment/http_gateway.hpp>

#include <random>

#include <orders/command/payment/gateway_protocol.hpp>
#include <orders/platform/log.hpp>

#include "../http/http_client.hpp"

namespace orders::command::payment {
namespace {

double JitterDraw() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

template <typename Outcome>
struct HttpPaymentGateway::Call {
  const char* operation;  // for logs: "authorization" or "refund"
  std::string order_id;
  const char* path;
  std::string idempotency_key;
  std::string body;
  Outcome (*read_answer)(int status, const std::string& body);
  std::function<void(Outcome)> done;
  int failed_attempts = 0;
};

HttpPaymentGateway::HttpPaymentGateway(const PaymentConfig& config)
    : url_(std::make_unique<HttpUrl>(ParseHttpUrl(config.url).value_or(HttpUrl{}))),
      request_timeout_(config.request_timeout),
      retry_(config.retry),
      breaker_(config.breaker),
      executor_(config.concurrency) {}

HttpPaymentGateway::~HttpPaymentGateway() { Stop(); }

void HttpPaymentGateway::Stop() { executor_.Stop(); }

void HttpPaymentGateway::Authorize(AuthorizationRequest request, std::function<void(AuthorizationOutcome)> done) {
  auto call = std::make_shared<Call<AuthorizationOutcome>>(
      Call<AuthorizationOutcome>{"authorization", request.order_id, kAuthorizationsPath, AuthorizationKey(request),
                                 AuthorizationBody(request), &ReadAuthorizationAnswer, std::move(done)});
  executor_.Post(DelayedExecutor::Clock::now(), [this, call](bool stopped) { Attempt(call, stopped); });
}

void HttpPaymentGateway::Refund(RefundRequest request, std::function<void(RefundOutcome)> done) {
  auto call = std::make_shared<Call<RefundOutcome>>(Call<RefundOutcome>{"refund", request.order_id, kRefundsPath,
                                                                        RefundKey(request), RefundBody(request),
                                                                        &ReadRefundAnswer, std::move(done)});
  executor_.Post(DelayedExecutor::Clock::now(), [this, call](bool stopped) { Attempt(call, stopped); });
}

template <typename Outcome>
void HttpPaymentGateway::Attempt(std::shared_ptr<Call<Outcome>> call, bool stopped) {
  if (stopped) return call->done(PaymentFailure{"the payment gateway client stopped"});
  const auto started = CircuitBreaker::Clock::now();
  if (!breaker_.Allow(started)) {
    // Fail fast: the gateway failed repeatedly and is left alone until the probe.
    return call->done(PaymentFailure{"circuit open: the payment gateway failed repeatedly"});
  }
  auto answer = PostJson(*url_, call->path, {{"Idempotency-Key", call->idempotency_key}}, call->body, request_timeout_);
  Outcome outcome =
      answer ? call->read_answer(answer->status, answer->body) : Outcome(PaymentFailure{answer.error().message});
  const auto* failure = std::get_if<PaymentFailure>(&outcome);
  if (!failure) {
    breaker_.RecordSuccess();
    return call->done(std::move(outcome));
  }
  breaker_.RecordFailure(CircuitBreaker::Clock::now());
  ++call->failed_attempts;
  platform::LogWarn("payment gateway attempt failed", {{"operation", call->operation},
                                                       {"orderId", call->order_id},
                                                       {"attempt", call->failed_attempts},
                                                       {"cause", failure->why}});
  if (!retry_.MayRetry(call->failed_attempts)) {
    return call->done(PaymentFailure{"no answer after " + std::to_string(call->failed_attempts) +
                                     " attempts; last: " + failure->why});
  }
  const auto due = DelayedExecutor::Clock::now() + retry_.Backoff(call->failed_attempts, JitterDraw());
  executor_.Post(due, [this, call](bool now_stopped) { Attempt(call, now_stopped); });
}

}  // namespace orders::command::payment

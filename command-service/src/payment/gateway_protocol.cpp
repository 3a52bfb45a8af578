#include <orders/command/payment/gateway_protocol.hpp>

#include <orders/codec/json_read.hpp>
#include <orders/domain/validation.hpp>

namespace orders::command::payment {
namespace {

constexpr std::size_t kMaxPaymentIdBytes = 128;

bool IsVisibleAscii(const std::string& text, std::size_t max_bytes) {
  return !text.empty() && text.size() <= max_bytes &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '!' && c <= '~'; });
}

// The answer's JSON object when the status is 2xx and the body parses; the
// failure reason otherwise. Bodies are never quoted into the reason: they may
// carry what does not belong in a log.
std::optional<codec::Json> SuccessBody(int status, const std::string& body, std::string& why) {
  if (status < 200 || status > 299) {
    why = "the gateway answered HTTP " + std::to_string(status);
    return std::nullopt;
  }
  auto json = codec::ParseJson(body, 64 * 1024);
  if (!json || !json->is_object()) {
    why = "the gateway answered HTTP " + std::to_string(status) + " without a JSON object";
    return std::nullopt;
  }
  return json;
}

std::string StringField(const codec::Json& json, const char* name) {
  auto it = json.find(name);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string AuthorizationBody(const AuthorizationRequest& request) {
  codec::Json json = codec::Json::object();
  json.emplace("orderId", request.order_id);
  json.emplace("amountCents", request.amount_cents);
  json.emplace("currency", request.currency);
  json.emplace("customerId", request.customer_id);
  return codec::DumpJson(json);
}

std::string AuthorizationKey(const AuthorizationRequest& request) { return request.order_id; }

std::string RefundBody(const RefundRequest& request) {
  codec::Json json = codec::Json::object();
  json.emplace("orderId", request.order_id);
  json.emplace("paymentId", request.payment_id);
  json.emplace("amountCents", request.amount_cents);
  return codec::DumpJson(json);
}

std::string RefundKey(const RefundRequest& request) { return request.order_id + ":refund"; }

AuthorizationOutcome ReadAuthorizationAnswer(int status, const std::string& body) {
  std::string why;
  const auto json = SuccessBody(status, body, why);
  if (!json) return PaymentFailure{why};
  const std::string answer = StringField(*json, "status");
  if (answer == "authorized") {
    std::string payment_id = StringField(*json, "paymentId");
    // The id goes into events and the read model: it must be one they can hold.
    if (!IsVisibleAscii(payment_id, kMaxPaymentIdBytes)) {
      return PaymentFailure{"the gateway authorized without a usable paymentId"};
    }
    return PaymentAuthorization{std::move(payment_id)};
  }
  if (answer == "declined") {
    std::string reason = StringField(*json, "reason");
    if (!domain::IsPrintableText(reason) || domain::CodePointCount(reason) > domain::kMaxReasonLength) {
      return PaymentFailure{"the gateway declined with an unusable reason"};
    }
    if (reason.empty()) reason = "declined";
    return PaymentDecline{std::move(reason)};
  }
  return PaymentFailure{"the gateway answered an unknown authorization status"};
}

RefundOutcome ReadRefundAnswer(int status, const std::string& body) {
  std::string why;
  const auto json = SuccessBody(status, body, why);
  if (!json) return PaymentFailure{why};
  if (StringField(*json, "status") == "refunded") return PaymentRefund{};
  return PaymentFailure{"the gateway answered an unknown refund status"};
}

}  // namespace orders::command::payment

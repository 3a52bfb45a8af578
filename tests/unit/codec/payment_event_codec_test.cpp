// The payment events on the wire: golden payloads, round trips, the order's `payment` field, and
// the decoder's refusal of payloads that break the payment rules.

#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/order_json.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/topic_reader.hpp>

namespace orders::codec {
namespace {

using testing::At;
using testing::kOrderId;

EventMetadata Metadata() {
  EventMetadata metadata;
  metadata.event_id = "0b6e1a52-7d0c-4c51-9a36-0f2b3c4d5e6f";  // a UUID, as the header schema wants
  metadata.source = "/command-service";
  return metadata;
}

const domain::PaymentAuthorized kAuthorized{kOrderId, 2, At(1764000002000), "pay_6f1c", 3000};
const domain::PaymentDeclined kDeclined{kOrderId, 2, At(1764000002000), "insufficient funds"};
const domain::PaymentRefunded kRefunded{kOrderId, 4, At(1764000004000), "pay_6f1c", 3000};
const std::string kId = std::string(kOrderId);

TEST(PaymentEventCodec, PaymentEventsEncodeToGoldenJsonWithVersionedTypes) {
  const auto authorized = EncodeEvent(kAuthorized, Metadata());
  EXPECT_EQ(authorized.value, R"({"amountCents":3000,"at":"2025-11-24T16:00:02.000Z","orderId":")" + kId +
                                  R"(","paymentId":"pay_6f1c","version":2})");
  EXPECT_EQ(*FindHeader(authorized.headers, "ce_type"), "order.payment_authorized.v1");
  EXPECT_EQ(authorized.key, kId);
  const auto declined = EncodeEvent(kDeclined, Metadata());
  EXPECT_EQ(declined.value, R"({"at":"2025-11-24T16:00:02.000Z","orderId":")" + kId +
                                R"(","reason":"insufficient funds","version":2})");
  EXPECT_EQ(*FindHeader(declined.headers, "ce_type"), "order.payment_declined.v1");
  EXPECT_EQ(*FindHeader(EncodeEvent(kRefunded, Metadata()).headers, "ce_type"), "order.payment_refunded.v1");
}

TEST(PaymentEventCodec, EveryPaymentEventRoundTrips) {
  for (const domain::Event& event : {domain::Event(kAuthorized), domain::Event(kDeclined), domain::Event(kRefunded)}) {
    const auto record = EncodeEvent(event, Metadata());
    const auto result = DecodeEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(result.decoded) << result.error;
    EXPECT_EQ(result.decoded->event, event);
  }
}

// The JSON Schemas in schemas/json accept what the encoder writes (checked by the same tool the
// integration tests run on every topic they read).
TEST(PaymentEventCodec, EncodedPaymentEventsMatchTheirJsonSchemas) {
  std::vector<platform::ConsumedRecord> records;
  for (const domain::Event& event : {domain::Event(kAuthorized), domain::Event(kDeclined), domain::Event(kRefunded)}) {
    auto record = EncodeEvent(event, Metadata());
    platform::ConsumedRecord consumed;
    consumed.key = record.key;
    consumed.value = record.value;
    consumed.headers = record.headers;
    records.push_back(std::move(consumed));
  }
  bool ok = false;
  const auto output = testing::ValidateAgainstSchemas(records, ok);
  EXPECT_TRUE(ok) << output;
}

TEST(PaymentEventCodec, EventNamesAreTheTypesWithoutTheirVersion) {
  EXPECT_EQ(EventName(kAuthorized), "order.payment_authorized");
  EXPECT_EQ(EventName(kDeclined), "order.payment_declined");
  EXPECT_EQ(EventName(kRefunded), "order.payment_refunded");
}

Headers HeadersOf(std::string_view type) {
  auto headers = EncodeEvent(kAuthorized, Metadata()).headers;
  for (auto& [name, value] : headers) {
    if (name == "ce_type") value = std::string(type);
  }
  return headers;
}

std::string Payload(const std::string& fields, int version = 2) {
  return R"({"at":"2025-11-24T16:00:02.000Z","orderId":")" + kId + R"(","version":)" + std::to_string(version) +
         fields + "}";
}

TEST(PaymentEventCodec, PayloadsBreakingThePaymentRulesAreRefused) {
  const auto authorized = HeadersOf(kPaymentAuthorizedType);
  const std::vector<std::string> bad_amounts = {
      Payload(R"(,"paymentId":"pay-1","amountCents":0)"),
      Payload(R"(,"paymentId":"pay-1","amountCents":-5)"),
      Payload(R"(,"paymentId":"pay-1","amountCents":"3000")"),
      Payload(R"(,"paymentId":"pay-1","amountCents":30.5)"),
      Payload(R"(,"paymentId":"pay-1")"),
      Payload(R"(,"paymentId":"","amountCents":3000)"),
      Payload(R"(,"paymentId":"has space","amountCents":3000)"),
      Payload(R"(,"paymentId":")" + std::string(129, 'p') + R"(","amountCents":3000)"),
      Payload(R"(,"amountCents":3000)"),
      Payload(R"(,"paymentId":"pay-1","amountCents":3000,"extra":true)"),
      Payload(R"(,"paymentId":"pay-1","amountCents":3000)", 1),
  };
  for (const auto& value : bad_amounts) {
    const auto result = DecodeEvent(kId, value, authorized);
    EXPECT_FALSE(result.decoded) << value;
    EXPECT_FALSE(result.error.empty());
  }
  EXPECT_TRUE(
      DecodeEvent(kId, Payload(R"(,"paymentId":")" + std::string(128, 'p') + R"(","amountCents":3000)"), authorized)
          .decoded);

  const auto declined = HeadersOf(kPaymentDeclinedType);
  for (const auto& value :
       {Payload(""), Payload(R"(,"reason":")" + std::string(281, 'r') + R"(")"), Payload(R"(,"reason":"a\u0007b")"),
        Payload(R"(,"reason":7)"), Payload(R"(,"reason":"no","paymentId":"pay-1")")}) {
    EXPECT_FALSE(DecodeEvent(kId, value, declined).decoded) << value;
  }
  EXPECT_TRUE(DecodeEvent(kId, Payload(R"(,"reason":")" + std::string(280, 'r') + R"(")"), declined).decoded);

  const auto refunded = HeadersOf(kPaymentRefundedType);
  EXPECT_FALSE(DecodeEvent(kId, Payload(R"(,"paymentId":"pay-1","amountCents":0)"), refunded).decoded);
  EXPECT_TRUE(DecodeEvent(kId, Payload(R"(,"paymentId":"pay-1","amountCents":1)"), refunded).decoded);
}

TEST(PaymentEventCodec, TheOrderJsonCarriesItsPayment) {
  std::optional<domain::Order> order;
  ASSERT_EQ(domain::Apply(order, testing::Placed()), domain::ApplyOutcome::kApplied);
  EXPECT_EQ(OrderToJson(*order)["payment"], (Json{{"status", "pending"}, {"amountCents", 3000}}));
  ASSERT_EQ(domain::Apply(order, kAuthorized), domain::ApplyOutcome::kApplied);
  const Json json = OrderToJson(*order);
  EXPECT_EQ(json["payment"], (Json{{"status", "authorized"}, {"paymentId", "pay_6f1c"}, {"amountCents", 3000}}));
  EXPECT_EQ(OrderFromJson(json), order);
}

TEST(PaymentEventCodec, AnOrderJsonWithoutPaymentReadsAsItsInitialPayment) {
  std::optional<domain::Order> order;
  ASSERT_EQ(domain::Apply(order, testing::Placed()), domain::ApplyOutcome::kApplied);
  Json json = OrderToJson(*order);
  json.erase("payment");
  const auto read = OrderFromJson(json);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->payment, (domain::Payment{domain::PaymentStatus::kPending, "", 3000}));
  json["payment"] = Json{{"status", "paid"}, {"amountCents", 3000}};
  EXPECT_EQ(OrderFromJson(json), std::nullopt);
}

}  // namespace
}  // namespace orders::codec

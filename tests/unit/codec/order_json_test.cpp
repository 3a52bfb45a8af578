#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <orders/codec/order_json.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>

namespace orders::codec {
namespace {

domain::Order ConfirmedOrder() {
  std::optional<domain::Order> state;
  domain::Apply(state, testing::Placed());
  domain::Apply(state, testing::Changed(2, domain::Status::kPending, domain::Status::kConfirmed));
  return *state;
}

TEST(OrderJson, MatchesTheContractShape) {
  const Json json = OrderToJson(ConfirmedOrder());
  EXPECT_EQ(DumpJson(json),
            R"({"courierId":null,"createdAt":"2025-11-24T16:00:00.000Z","currency":"USD","customerId":"customer-1",)"
            R"("items":[{"productId":"sku-1","quantity":2,"unitPriceCents":1250},)"
            R"({"productId":"sku-2","quantity":1,"unitPriceCents":500}],)"
            R"("orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c","payment":{"amountCents":3000,"status":"pending"},)"
            R"("status":"confirmed","totalCents":3000,)"
            R"("updatedAt":"2025-11-24T16:00:01.000Z","version":2})");
}

TEST(OrderJson, RoundTrips) {
  const auto order = ConfirmedOrder();
  EXPECT_EQ(OrderFromJson(OrderToJson(order)), order);
}

TEST(OrderJson, MissingFieldIsRefused) {
  Json json = OrderToJson(ConfirmedOrder());
  json.erase("status");
  EXPECT_EQ(OrderFromJson(json), std::nullopt);
}

TEST(JsonRead, ParseRefusesOversizedAndInvalidInput) {
  EXPECT_TRUE(ParseJson("{\"a\":1}", 100));
  EXPECT_FALSE(ParseJson("{\"a\":1}", 3));
  EXPECT_FALSE(ParseJson("{\"a\":", 100));
  EXPECT_FALSE(ParseJson("\"\xFF\"", 100));
  EXPECT_FALSE(ParseJson("", 100));
}

TEST(JsonRead, DumpReplacesInvalidUtf8InsteadOfThrowing) {
  Json json = std::string("a\xFF");
  EXPECT_NO_THROW(DumpJson(json));
}

TEST(JsonRead, FieldReaderCollectsEveryTypeError) {
  const Json json = Json::parse(R"({"s":1,"i":"x","a":{},"big":18446744073709551615,"extra":true})");
  FieldReader reader(json);
  EXPECT_FALSE(reader.String("s", true));
  EXPECT_FALSE(reader.Integer("i", true));
  EXPECT_FALSE(reader.Array("a", true));
  EXPECT_FALSE(reader.Integer("big", true));
  EXPECT_FALSE(reader.String("missing", true));
  reader.RejectUnknown({"s", "i", "a", "big"});
  ASSERT_EQ(reader.errors().size(), 6u);
  EXPECT_EQ(reader.errors()[5].field, "extra");
}

// Strings as they may reach an order: plain ids, quotes and backslashes, control characters,
// UTF-8, a lone continuation byte and a truncated sequence (which DumpJson replaces), DEL.
const std::vector<std::string> kAwkwardStrings = {"customer-1",     "",
                                                  "say \"hi\"",     "back\\slash",
                                                  "tab\tnew\nline", std::string("nul\0in", 6),
                                                  "caf\xc3\xa9",    "\xe2\x82\xac 5",
                                                  "lone \x80 byte", "cut \xe2\x82",
                                                  "del\x7f",        "</script>"};

TEST(OrderJson, TheTextIsExactlyTheDumpOfTheTreeForAnyOrder) {
  std::optional<domain::Order> state;
  domain::Apply(state, testing::Placed());
  domain::Order base = *state;
  int checked = 0;
  for (const auto& text : kAwkwardStrings) {
    for (int shape = 0; shape < 4; ++shape) {
      domain::Order order = base;
      order.customer_id = text;
      order.courier_id = shape % 2 ? text : "";
      order.currency = shape == 2 ? text : "EUR";
      order.items[0].product_id = text;
      if (shape == 3) order.items.clear();
      order.payment.payment_id = shape >= 2 ? text : "";
      order.payment.status = shape >= 2 ? domain::PaymentStatus::kAuthorized : domain::PaymentStatus::kPending;
      order.status = domain::kAllStatuses[shape];
      order.total_cents = shape == 1 ? -7 : 9'007'199'254'740'993;
      order.version = 1 + shape;
      EXPECT_EQ(OrderJsonText(order), DumpJson(OrderToJson(order))) << "string " << checked / 4 << " shape " << shape;
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(kAwkwardStrings.size()) * 4);
}

}  // namespace
}  // namespace orders::codec

#include <gtest/gtest.h>

#include <orders/command/request_parser.hpp>

namespace orders::command {
namespace {

std::vector<std::string> Fields(const std::vector<domain::FieldError>& errors) {
  std::vector<std::string> fields;
  for (const auto& error : errors) fields.push_back(error.field);
  return fields;
}

TEST(ParsePlaceOrder, ReadsAllFieldsAndDefaultsCurrencyToUsd) {
  const auto parsed =
      ParsePlaceOrder(R"({"customerId":"c1","items":[{"productId":"p","quantity":2,"unitPriceCents":5}]})");
  ASSERT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.command->customer_id, "c1");
  EXPECT_EQ(parsed.command->currency, "USD");
  EXPECT_EQ(parsed.command->order_id, "");
  ASSERT_EQ(parsed.command->items.size(), 1u);
  EXPECT_EQ(parsed.command->items[0].quantity, 2);
}

TEST(ParsePlaceOrder, MalformedBodiesAreRefusedAsMalformed) {
  for (const char* body : {"", "{", "[]", "null", "\"text\"", "{\"customerId\":\"\xC3\x28\"}", "{\"a\":1}}"}) {
    const auto parsed = ParsePlaceOrder(body);
    EXPECT_FALSE(parsed.errors.empty()) << body;
  }
  EXPECT_TRUE(ParsePlaceOrder("[]").malformed);
  EXPECT_TRUE(ParsePlaceOrder("{").malformed);
}

TEST(ParsePlaceOrder, OversizedBodyIsMalformed) {
  const std::string body = R"({"customerId":")" + std::string(kMaxBodyBytes, 'a') + R"("})";
  EXPECT_TRUE(ParsePlaceOrder(body).malformed);
}

TEST(ParsePlaceOrder, WrongTypesAndAbsurdNumbersNameTheirFields) {
  const auto parsed = ParsePlaceOrder(
      R"({"customerId":5,"currency":["USD"],"items":[{"productId":1,"quantity":1.5,"unitPriceCents":1e300},)"
      R"({"productId":"p","quantity":99999999999999999999,"unitPriceCents":"1"}, 7]})");
  EXPECT_EQ(Fields(parsed.errors), (std::vector<std::string>{"customerId", "currency", "items/0/productId",
                                                             "items/0/quantity", "items/0/unitPriceCents",
                                                             "items/1/quantity", "items/1/unitPriceCents", "items/2"}));
}

TEST(ParsePlaceOrder, UnknownFieldsAreRejected) {
  const auto parsed = ParsePlaceOrder(
      R"({"customerId":"c","items":[{"productId":"p","quantity":1,"unitPriceCents":1,"discount":5}],"totalCents":1})");
  EXPECT_EQ(Fields(parsed.errors), (std::vector<std::string>{"items/0/discount", "totalCents"}));
}

TEST(ParsePlaceOrder, MoreThanHundredItemsIsOneErrorNotThousands) {
  std::string body = R"({"customerId":"c","items":[)";
  for (int i = 0; i < 5000; ++i) body += std::string(i ? "," : "") + "{}";
  body += "]}";
  const auto parsed = ParsePlaceOrder(body);
  EXPECT_LE(parsed.errors.size(), 400u);
  const auto fields = Fields(parsed.errors);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "items"), fields.end());
}

TEST(ParseChangeStatus, ReadsStatusAndReason) {
  const auto parsed = ParseChangeStatus("id", R"({"status":"shipped","reason":"left the warehouse"})");
  ASSERT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.command->to, domain::Status::kShipped);
  EXPECT_EQ(parsed.command->reason, "left the warehouse");
  EXPECT_EQ(parsed.command->order_id, "id");
}

TEST(ParseChangeStatus, UnknownStatusAndFieldsAreRefused) {
  const auto parsed = ParseChangeStatus("id", R"({"status":"lost","color":"red"})");
  EXPECT_EQ(Fields(parsed.errors), (std::vector<std::string>{"status", "color"}));
  EXPECT_EQ(Fields(ParseChangeStatus("id", R"({})").errors), std::vector<std::string>{"status"});
}

TEST(ParseIfMatch, AcceptsQuotedVersionsOnly) {
  EXPECT_EQ(ParseIfMatch(std::nullopt), std::nullopt);
  EXPECT_EQ(ParseIfMatch("\"3\""), 3);
  EXPECT_EQ(ParseIfMatch("W/\"3\""), 3);
  EXPECT_EQ(ParseIfMatch("3"), 0);
  EXPECT_EQ(ParseIfMatch("\"x\""), 0);
  EXPECT_EQ(ParseIfMatch("\"99999999999999999999999\""), 0);
}

TEST(ParseIfMatch, NegativeVersionsAreUnparsable) {
  // Found by command_parser_fuzzer: from_chars took the sign and gave a negative version.
  EXPECT_EQ(ParseIfMatch("\"-5\""), 0);
  EXPECT_EQ(ParseIfMatch("\"-2685111253711111110\""), 0);
  EXPECT_EQ(ParseIfMatch("W/\"-1\""), 0);
}

TEST(IdempotencyKey, VisibleAsciiUpTo255) {
  EXPECT_TRUE(IsValidIdempotencyKey("abc-123_XYZ:/"));
  EXPECT_TRUE(IsValidIdempotencyKey(std::string(255, 'k')));
  EXPECT_FALSE(IsValidIdempotencyKey(""));
  EXPECT_FALSE(IsValidIdempotencyKey(std::string(256, 'k')));
  EXPECT_FALSE(IsValidIdempotencyKey("has space"));
  EXPECT_FALSE(IsValidIdempotencyKey("caf\xC3\xA9"));
}

TEST(RequestHash, SameCommandSameHashOtherCommandOtherHash) {
  domain::PlaceOrder a{"", "c", {{"p", 1, 1}}, "USD"};
  domain::PlaceOrder b = a;
  EXPECT_EQ(RequestHash(a), RequestHash(b));
  EXPECT_EQ(RequestHash(a).size(), 64u);
  b.items[0].quantity = 2;
  EXPECT_NE(RequestHash(a), RequestHash(b));
}

}  // namespace
}  // namespace orders::command

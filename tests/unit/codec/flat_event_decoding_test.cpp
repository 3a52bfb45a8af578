// The decoder's fast path (flat_json.hpp) against its reference, the decoder
// through a JSON tree: every event the writers produce is read in place, and
// for every payload, written by us or not, both give the same answer.

#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/flat_json.hpp>
#include <orders/testing/builders.hpp>

#include <string>
#include <vector>

namespace orders::codec {
namespace {

using domain::Status;
using testing::At;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

EventMetadata Metadata() {
  EventMetadata metadata;
  metadata.event_id = "0b6e1a52-7d0c-4c51-9a36-0f2b3c4d5e6f";
  metadata.source = "/command-service";
  return metadata;
}

std::vector<domain::Event> OneOfEachType() {
  auto changed = Changed(3, Status::kConfirmed, Status::kShipped);
  changed.reason = R"(left at "the back" door \ gate)";
  return {
      Placed(),
      changed,
      Changed(2, Status::kPending, Status::kConfirmed),
      domain::CourierAssigned{kOrderId, 4, At(), "c-7", domain::AssignedBy::kStaff},
      domain::CourierUnassigned{kOrderId, 5, At(), "c-7", "flat tyre"},
      domain::DeliveryDeclined{kOrderId, 5, At(), "c-8", std::nullopt},
      domain::PaymentAuthorized{kOrderId, 2, At(), "pay_6f1c", 3000},
      domain::PaymentDeclined{kOrderId, 2, At(), "insufficient funds"},
      domain::PaymentRefunded{kOrderId, 6, At(), "pay_6f1c", 3000},
  };
}

// Same event and metadata, or the same error text.
void ExpectSameAsTree(std::string_view key, std::string_view value, const Headers& headers) {
  const auto fast = DecodeEvent(key, value, headers);
  const auto tree = DecodeEventThroughTree(key, value, headers);
  EXPECT_EQ(fast.error, tree.error) << value;
  ASSERT_EQ(fast.decoded.has_value(), tree.decoded.has_value()) << value;
  if (fast.decoded) {
    EXPECT_EQ(fast.decoded->event, tree.decoded->event) << value;
    EXPECT_EQ(fast.decoded->metadata, tree.decoded->metadata) << value;
  }
}

// A record of `type` whose payload is `value`, keyed by kOrderId.
Headers HeadersFor(std::string_view type) {
  auto headers = EncodeEvent(Placed(), Metadata()).headers;
  for (auto& [name, header_value] : headers) {
    if (name == "ce_type") header_value = std::string(type);
  }
  return headers;
}

TEST(FlatEventDecoding, EveryEventTheWritersProduceIsReadInPlaceAndEqualsTheTreesReading) {
  for (const auto& event : OneOfEachType()) {
    const auto record = EncodeEvent(event, Metadata());
    EXPECT_TRUE(FlatObject::Parse(record.value).has_value()) << record.value;
    const auto result = DecodeEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(result.decoded) << result.error;
    EXPECT_EQ(result.decoded->event, event);
    ExpectSameAsTree(record.key, record.value, record.headers);
  }
}

TEST(FlatEventDecoding, TextOutsideTheWritersFormIsLeftToTheTree) {
  const std::vector<std::string> not_flat = {
      R"({ "orderId":"x"})",                            // whitespace
      R"({"orderId":"x"} )",                            // trailing whitespace
      R"({"orderId":null})",                            // null
      R"({"version":2.0})",                             // a fraction
      R"({"version":2e0})",                             // an exponent
      R"({"version":-0})",                              // minus zero
      R"({"version":02})",                              // a leading zero
      R"({"version":1234567890123456789})",             // 19 digits
      R"({"reason":"caf\u00e9"})",                      // a \u escape
      R"({"reason":"a\/b"})",                           // an escape other than \" and \\ .
      "{\"reason\":\"caf\xC3\xA9\"}",                   // UTF-8
      "{\"reason\":\"tab\there\"}",                     // a raw control character
      R"({"orderId":"x","orderId":"y"})",               // a repeated key
      R"({"items":[{"productId":"a","tags":["x"]}]})",  // nesting deeper than line items
      R"({"items":["a"]})",                             // an array of strings
      R"({"ver\"sion":2})",                             // an escaped key
      R"({"orderId":"x")",                              // unterminated
      R"([{"orderId":"x"}])",                           // not an object
      R"({"a":true})",                                  // a literal
  };
  for (const auto& text : not_flat) EXPECT_FALSE(FlatObject::Parse(text).has_value()) << text;
}

TEST(FlatEventDecoding, EditedPayloadsGetTheTreesAnswerWhateverPathTheyTake) {
  const auto placed = EncodeEvent(Placed(), Metadata());
  const std::vector<std::pair<std::string_view, std::string>> payloads = {
      // Valid, but not as the writers put it.
      {kPlacedType, " " + placed.value},
      {kStatusChangedType, R"({"at":"2025-11-24T16:00:01.000Z","from":"pending","orderId":")" + std::string(kOrderId) +
                               R"(","reason":"caf\u00e9","to":"cancelled","version":2})"},
      // Flat, but breaking a rule each.
      {kStatusChangedType, R"({"at":"2025-11-24T16:00:01.000Z","from":"pending","orderId":")" + std::string(kOrderId) +
                               R"(","to":"lost","version":2})"},
      {kStatusChangedType, R"({"at":"2025-11-24T16:00:01.000Z","from":"pending","orderId":")" + std::string(kOrderId) +
                               R"(","to":"cancelled","version":2,"extra":1})"},
      {kStatusChangedType, R"({"at":"2025-11-24 16:00:01","from":"pending","orderId":")" + std::string(kOrderId) +
                               R"(","to":"cancelled","version":2})"},
      {kStatusChangedType,
       R"({"at":"2025-11-24T16:00:01.000Z","from":"pending","orderId":"not-a-uuid","to":"cancelled","version":2})"},
      {kStatusChangedType, R"({"at":"2025-11-24T16:00:01.000Z","from":"pending","orderId":")" + std::string(kOrderId) +
                               R"(","to":"cancelled","version":0})"},
      {kStatusChangedType, R"({"at":"2025-11-24T16:00:01.000Z","from":"pending","orderId":")" + std::string(kOrderId) +
                               R"(","to":"cancelled","version":"2"})"},
      {kPlacedType,
       std::string(placed.value).replace(placed.value.find("\"totalCents\":3000"), 17, "\"totalCents\":3001")},
      {kPlacedType, std::string(placed.value).replace(placed.value.find("\"quantity\":2"), 12, "\"quantity\":0")},
      {kPlacedType, std::string(placed.value).replace(placed.value.find("\"version\":1"), 11, "\"version\":2")},
      {kPlacedType, std::string(placed.value).replace(placed.value.find("\"quantity\":2"), 12, "\"qty\":2")},
      {kPlacedType, R"({"at":"2025-11-24T16:00:00.000Z","currency":"USD","customerId":"c","items":[],"orderId":")" +
                        std::string(kOrderId) + R"(","totalCents":0,"version":1})"},
      {kPaymentAuthorizedType, R"({"amountCents":0,"at":"2025-11-24T16:00:02.000Z","orderId":")" +
                                   std::string(kOrderId) + R"(","paymentId":"pay","version":2})"},
      {kPaymentDeclinedType,
       R"({"at":"2025-11-24T16:00:02.000Z","orderId":")" + std::string(kOrderId) + R"(","version":2})"},
      {kCourierAssignedType, R"({"at":"2025-11-24T16:00:02.000Z","by":"robot","courierId":"c-7","orderId":")" +
                                 std::string(kOrderId) + R"(","version":2})"},
      {kCourierAssignedType, R"({"at":"2025-11-24T16:00:02.000Z","by":"staff","courierId":"c-7","orderId":")" +
                                 std::string(kOrderId) + R"(","version":1})"},
      {"order.unheard_of.v1", placed.value},
      {kPlacedType, "{}"},
      {kPlacedType, "not json"},
  };
  for (const auto& [type, value] : payloads) ExpectSameAsTree(kOrderId, value, HeadersFor(type));
}

TEST(FlatEventDecoding, ARecordKeyedByAnotherOrderIsRefusedOnEitherPath) {
  const auto record = EncodeEvent(Placed(), Metadata());
  const auto result = DecodeEvent("7a1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c", record.value, record.headers);
  EXPECT_FALSE(result.decoded);
  EXPECT_EQ(result.error, "record key differs from orderId");
  ExpectSameAsTree("7a1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c", record.value, record.headers);
}

TEST(FlatEventDecoding, EscapedQuotesAndBackslashesAreUndone) {
  const auto object = FlatObject::Parse(R"({"reason":"say \"hi\" \\ bye","n":-42})");
  ASSERT_TRUE(object);
  FlatReader reader(*object);
  EXPECT_EQ(reader.String("reason", true), R"(say "hi" \ bye)");
  EXPECT_EQ(reader.Integer("n", true), -42);
  EXPECT_TRUE(reader.errors().empty());
}

}  // namespace
}  // namespace orders::codec

#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/testing/builders.hpp>

#include <string>
#include <vector>

namespace orders::codec {
namespace {

using domain::Status;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

EventMetadata Metadata() {
  return {"0b6e1a52-7d0c-4c51-9a36-0f2b3c4d5e6f", "/command-service", std::nullopt, std::nullopt};
}

constexpr const char* kGoldenPlaced =
    R"({"at":"2025-11-24T16:00:00.000Z","currency":"USD","customerId":"customer-1",)"
    R"("items":[{"productId":"sku-1","quantity":2,"unitPriceCents":1250},)"
    R"({"productId":"sku-2","quantity":1,"unitPriceCents":500}],)"
    R"("orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c","totalCents":3000,"version":1})";

constexpr const char* kGoldenChanged =
    R"({"at":"2025-11-24T16:00:01.000Z","from":"pending","orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c",)"
    R"("reason":"customer asked","to":"cancelled","version":2})";

TEST(EventCodec, PlacedEncodesToGoldenJson) { EXPECT_EQ(EncodeEvent(Placed(), Metadata()).value, kGoldenPlaced); }

TEST(EventCodec, StatusChangedEncodesToGoldenJson) {
  auto changed = Changed(2, Status::kPending, Status::kCancelled);
  changed.reason = "customer asked";
  EXPECT_EQ(EncodeEvent(changed, Metadata()).value, kGoldenChanged);
}

TEST(EventCodec, StatusChangedWithoutReasonOmitsTheField) {
  const auto record = EncodeEvent(Changed(2, Status::kPending, Status::kConfirmed), Metadata());
  EXPECT_EQ(record.value.find("reason"), std::string::npos);
}

TEST(EventCodec, HeadersFollowCloudEventsBinaryMode) {
  auto metadata = Metadata();
  metadata.idempotency_key = "key-1";
  const auto record = EncodeEvent(Placed(), metadata);
  EXPECT_EQ(record.key, kOrderId);
  const Headers expected = {{"ce_specversion", "1.0"},
                            {"ce_id", metadata.event_id},
                            {"ce_type", "order.placed.v1"},
                            {"ce_source", "/command-service"},
                            {"ce_time", "2025-11-24T16:00:00.000Z"},
                            {"ce_subject", kOrderId},
                            {"content-type", "application/json"},
                            {"orders_idempotency_key", "key-1"}};
  EXPECT_EQ(record.headers, expected);
}

TEST(EventCodec, EveryEventTypeRoundTrips) {
  auto changed = Changed(3, Status::kConfirmed, Status::kShipped);
  changed.reason = "picked \xE2\x9C\x93";
  auto metadata = Metadata();
  metadata.idempotency_key = "k";
  metadata.request_hash = std::string(64, 'a');
  for (const domain::Event& event : {domain::Event(Placed()), domain::Event(changed)}) {
    const auto record = EncodeEvent(event, metadata);
    const auto result = DecodeEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(result.decoded) << result.error;
    EXPECT_EQ(result.decoded->event, event);
    EXPECT_EQ(result.decoded->metadata, metadata);
  }
}

TEST(EventCodec, DecodesGoldenPayload) {
  const Headers headers = {{"ce_type", "order.placed.v1"}, {"ce_id", "x"}};
  const auto result = DecodeEvent(kOrderId, kGoldenPlaced, headers);
  ASSERT_TRUE(result.decoded) << result.error;
  EXPECT_EQ(result.decoded->event, domain::Event(Placed()));
}

struct PoisonCase {
  const char* name;
  std::string key;
  std::string value;
  std::string type;
};

// Headers come from whoever wrote to the topic; one that a store cannot hold
// byte for byte (NUL, malformed UTF-8, 10 kB) used to freeze the read model in a
// retry loop. Such a record is refused, so that its reader parks it.
TEST(EventCodec, RecordWithAHostileHeaderIsRefused) {
  const auto good = EncodeEvent(Placed(), Metadata());
  ASSERT_TRUE(DecodeEvent(good.key, good.value, good.headers).decoded);
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"ce_id", std::string("0b6e1a52\0-7d0c", 14)},
      {"ce_id", "0b6e1a52-\xC3\x28"},
      {"ce_id", std::string(10 * 1024, 'a')},
      {"ce_id", ""},
      {"ce_source", "/command-service\x1B[2J"},
      {"ce_source", std::string(10 * 1024, 's')},
      {"orders_idempotency_key", "key with spaces"},
      {"orders_idempotency_key", std::string(256, 'k')},
      {"orders_request_hash", std::string("ab\0cd", 5)},
  };
  for (const auto& [name, value] : hostile) {
    Headers headers;
    for (const auto& header : good.headers) {
      if (header.first != name) headers.push_back(header);
    }
    headers.emplace_back(name, value);
    const auto result = DecodeEvent(good.key, good.value, headers);
    EXPECT_FALSE(result.decoded) << name << " = " << ::testing::PrintToString(value.substr(0, 40));
    EXPECT_FALSE(result.error.empty());
  }
}

TEST(EventCodec, RecordWithoutAnEventIdIsRefused) {
  const auto good = EncodeEvent(Placed(), Metadata());
  Headers headers;
  for (const auto& header : good.headers) {
    if (header.first != "ce_id") headers.push_back(header);
  }
  const auto result = DecodeEvent(good.key, good.value, headers);
  EXPECT_FALSE(result.decoded);
  EXPECT_EQ(result.error, "ce_id is required");
}

class PoisonRecord : public ::testing::TestWithParam<PoisonCase> {};

TEST_P(PoisonRecord, IsRefusedWithAReason) {
  const auto& poison = GetParam();
  Headers headers;
  if (!poison.type.empty()) headers.emplace_back("ce_type", poison.type);
  const auto result = DecodeEvent(poison.key, poison.value, headers);
  EXPECT_FALSE(result.decoded);
  EXPECT_FALSE(result.error.empty());
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

INSTANTIATE_TEST_SUITE_P(
    EventCodec, PoisonRecord,
    ::testing::Values(
        PoisonCase{"no_type", kOrderId, kGoldenPlaced, ""},
        PoisonCase{"unknown_type", kOrderId, kGoldenPlaced, "order.placed.v9"},
        PoisonCase{"not_json", kOrderId, "{not json", "order.placed.v1"},
        PoisonCase{"array", kOrderId, "[]", "order.placed.v1"},
        PoisonCase{"key_mismatch", "other", kGoldenPlaced, "order.placed.v1"},
        PoisonCase{"wrong_total", kOrderId, Replace(kGoldenPlaced, "3000", "3001"), "order.placed.v1"},
        PoisonCase{"unknown_field", kOrderId, Replace(kGoldenPlaced, "\"at\"", "\"extra\":1,\"at\""),
                   "order.placed.v1"},
        PoisonCase{"bad_time", kOrderId, Replace(kGoldenPlaced, "16:00:00.000Z", "16:00:00Z"), "order.placed.v1"},
        PoisonCase{"string_version", kOrderId, Replace(kGoldenChanged, "\"version\":2", "\"version\":\"2\""),
                   "order.status_changed.v1"},
        PoisonCase{"bad_status", kOrderId, Replace(kGoldenChanged, "cancelled", "lost"), "order.status_changed.v1"},
        PoisonCase{"invalid_utf8", kOrderId, Replace(kGoldenChanged, "customer asked", "\xC3\x28"),
                   "order.status_changed.v1"},
        PoisonCase{"control_character_in_reason", kOrderId, Replace(kGoldenChanged, "customer asked", "a\\u0000b"),
                   "order.status_changed.v1"},
        PoisonCase{"c1_control_in_reason", kOrderId, Replace(kGoldenChanged, "customer asked", "a\\u0085b"),
                   "order.status_changed.v1"},
        PoisonCase{"control_character_in_product", kOrderId, Replace(kGoldenPlaced, "sku-1", "sku\\u001b1"),
                   "order.placed.v1"},
        PoisonCase{"oversized", kOrderId, std::string(kMaxEventBytes + 1, ' '), "order.placed.v1"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(EventCodec, PayloadTextIsExactlyTheDumpOfThePayloadTree) {
  const std::vector<std::string> texts = {"plain", "q\"uote", "b\\s", "ctl\x01", "caf\xc3\xa9", "cut \xe2\x82", ""};
  int checked = 0;
  for (const auto& text : texts) {
    auto placed = testing::Placed();
    placed.customer_id = text;
    placed.currency = text;
    placed.items[0].product_id = text;
    for (const domain::Event& event :
         {domain::Event(placed),
          domain::Event(testing::Changed(2, domain::Status::kPending, domain::Status::kCancelled)), domain::Event([&] {
            auto changed = testing::Changed(3, domain::Status::kConfirmed, domain::Status::kCancelled);
            changed.reason = text;
            return changed;
          }())}) {
      EXPECT_EQ(EventPayloadText(event), DumpJson(EventPayloadToJson(event))) << "text " << checked / 3;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 21);
}

}  // namespace
}  // namespace orders::codec

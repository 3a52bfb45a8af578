// The courier events and the orders_actor header on the wire: golden payloads, round trips,
// and the decoder's refusal of an actor header a store could not hold.

#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/testing/builders.hpp>

namespace orders::codec {
namespace {

using testing::At;
using testing::kOrderId;

EventMetadata WithActor(std::optional<std::string> actor) {
  EventMetadata metadata;
  metadata.event_id = "0b6e1a52-7d0c-4c51-9a36-0f2b3c4d5e6f";
  metadata.source = "/command-service";
  metadata.actor = std::move(actor);
  return metadata;
}

const domain::CourierAssigned kAssigned{kOrderId, 3, At(1764000002000), "courier-7", domain::AssignedBy::kCourier};
const domain::CourierUnassigned kUnassigned{kOrderId, 4, At(1764000003000), "courier-7", "flat tyre"};
const domain::DeliveryDeclined kDeclined{kOrderId, 5, At(1764000004000), "courier-8", std::nullopt};

TEST(CourierEventCodec, CourierAssignedEncodesToGoldenJson) {
  const auto record = EncodeEvent(kAssigned, WithActor("courier:courier-7"));
  EXPECT_EQ(record.value, R"({"at":"2025-11-24T16:00:02.000Z","by":"courier","courierId":"courier-7",)"
                          R"("orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c","version":3})");
  EXPECT_EQ(*FindHeader(record.headers, "ce_type"), "order.courier_assigned.v1");
  EXPECT_EQ(*FindHeader(record.headers, "orders_actor"), "courier:courier-7");
}

TEST(CourierEventCodec, UnassignedAndDeclinedCarryTheirReasonOnlyWhenGiven) {
  EXPECT_EQ(EncodeEvent(kUnassigned, WithActor(std::nullopt)).value,
            R"({"at":"2025-11-24T16:00:03.000Z","courierId":"courier-7",)"
            R"("orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c","reason":"flat tyre","version":4})");
  EXPECT_EQ(EncodeEvent(kDeclined, WithActor(std::nullopt)).value.find("reason"), std::string::npos);
}

TEST(CourierEventCodec, EveryCourierEventRoundTripsWithAndWithoutAnActor) {
  for (const auto& actor : {std::optional<std::string>("staff:ops"), std::optional<std::string>()}) {
    for (const domain::Event& event :
         {domain::Event(kAssigned), domain::Event(kUnassigned), domain::Event(kDeclined)}) {
      const auto record = EncodeEvent(event, WithActor(actor));
      EXPECT_EQ(FindHeader(record.headers, "orders_actor") != nullptr, actor.has_value());
      const auto result = DecodeEvent(record.key, record.value, record.headers);
      ASSERT_TRUE(result.decoded) << result.error;
      EXPECT_EQ(result.decoded->event, event);
      EXPECT_EQ(result.decoded->metadata, WithActor(actor));
    }
  }
}

TEST(CourierEventCodec, TheActorHeaderRidesOnEveryEventType) {
  const auto record = EncodeEvent(testing::Placed(), WithActor("customer:customer-1"));
  const auto result = DecodeEvent(record.key, record.value, record.headers);
  ASSERT_TRUE(result.decoded) << result.error;
  EXPECT_EQ(result.decoded->metadata.actor, "customer:customer-1");
}

TEST(CourierEventCodec, EventNamesAreTheTypesWithoutTheirVersion) {
  EXPECT_EQ(EventName(kAssigned), "order.courier_assigned");
  EXPECT_EQ(EventName(kUnassigned), "order.courier_unassigned");
  EXPECT_EQ(EventName(kDeclined), "order.delivery_declined");
}

// The checker and the read model trust this header; one a store cannot hold byte for byte is refused
// with the whole record (its reader parks it).
TEST(CourierEventCodec, AnActorHeaderThatIsNotShortVisibleAsciiIsRefused) {
  const auto good = EncodeEvent(kAssigned, WithActor("courier:courier-7"));
  ASSERT_TRUE(DecodeEvent(good.key, good.value, good.headers).decoded);
  for (const std::string& hostile :
       {std::string(), std::string("courier:has space"), std::string("courier:\xC3\xA9"),
        std::string("courier:\x1B[2J"), std::string("courier:a\0b", 11), "courier:" + std::string(193, 'c')}) {
    Headers headers;
    for (const auto& header : good.headers) {
      if (header.first != "orders_actor") headers.push_back(header);
    }
    headers.emplace_back("orders_actor", hostile);
    const auto result = DecodeEvent(good.key, good.value, headers);
    EXPECT_FALSE(result.decoded) << ::testing::PrintToString(hostile.substr(0, 20));
    EXPECT_FALSE(result.error.empty());
  }
  Headers longest = good.headers;
  for (auto& [name, value] : longest) {
    if (name == "orders_actor") value = "courier:" + std::string(192, 'c');  // exactly 200 bytes
  }
  EXPECT_TRUE(DecodeEvent(good.key, good.value, longest).decoded);
}

TEST(CourierEventCodec, PayloadsBreakingTheCourierRulesAreRefused) {
  const auto good = EncodeEvent(kAssigned, WithActor(std::nullopt));
  const std::vector<std::string> poison = {
      R"({"at":"2025-11-24T16:00:02.000Z","by":"robot","courierId":"courier-7","orderId":")" + std::string(kOrderId) +
          R"(","version":3})",
      R"({"at":"2025-11-24T16:00:02.000Z","by":"courier","courierId":"has space","orderId":")" + std::string(kOrderId) +
          R"(","version":3})",
      R"({"at":"2025-11-24T16:00:02.000Z","by":"courier","courierId":"courier-7","orderId":")" + std::string(kOrderId) +
          R"(","version":1})",
      R"({"at":"2025-11-24T16:00:02.000Z","by":"courier","courierId":"courier-7","orderId":")" + std::string(kOrderId) +
          R"(","version":3,"extra":1})",
  };
  for (const auto& value : poison) {
    EXPECT_FALSE(DecodeEvent(good.key, value, good.headers).decoded) << value;
  }
}

}  // namespace
}  // namespace orders::codec

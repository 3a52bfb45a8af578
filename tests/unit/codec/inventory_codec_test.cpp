#include <gtest/gtest.h>

#include <orders/codec/inventory_codec.hpp>

namespace orders::codec {
namespace {

using namespace domain;

const Timestamp kAt{std::chrono::milliseconds(1764000000000)};  // 2025-11-24T16:00:00.000Z
const std::string kOrder = "6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c";

EventMetadata Metadata() {
  EventMetadata metadata;
  metadata.event_id = "0b6e1a52-7d0c-4c51-9a36-0f2b3c4d5e6f";
  metadata.source = "/command-service";
  metadata.actor = "staff:ops";
  return metadata;
}

std::vector<StockEvent> OneOfEach() {
  return {StockSet{"sku-1", 1, kAt, 10}, StockReserved{"sku-1", 2, kAt, kOrder, 3},
          ReservationRefused{"sku-1", 3, kAt, kOrder, 9, 7}, StockReleased{"sku-1", 4, kAt, kOrder, 3},
          StockCommitted{"sku-1", 5, kAt, kOrder, 3}};
}

TEST(InventoryCodec, EveryEventRoundTripsWithItsMetadata) {
  for (const auto& event : OneOfEach()) {
    const auto record = EncodeEvent(event, Metadata());
    const auto decoded = DecodeStockEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(decoded.decoded) << EventType(event) << ": " << decoded.error;
    EXPECT_EQ(decoded.decoded->event, event);
    EXPECT_EQ(decoded.decoded->metadata, Metadata());
  }
}

TEST(InventoryCodec, PayloadsEncodeToGoldenJson) {
  const auto events = OneOfEach();
  EXPECT_EQ(EncodeEvent(events[0], Metadata()).value,
            R"({"at":"2025-11-24T16:00:00.000Z","onHand":10,"productId":"sku-1","version":1})");
  EXPECT_EQ(EncodeEvent(events[2], Metadata()).value, R"({"at":"2025-11-24T16:00:00.000Z","available":7,"orderId":")" +
                                                          kOrder +
                                                          R"(","productId":"sku-1","quantity":9,"version":3})");
  EXPECT_EQ(EncodeEvent(events[4], Metadata()).value, R"({"at":"2025-11-24T16:00:00.000Z","orderId":")" + kOrder +
                                                          R"(","productId":"sku-1","quantity":3,"version":5})");
}

TEST(InventoryCodec, HeadersFollowCloudEventsBinaryModeKeyedByProduct) {
  const auto record = EncodeEvent(OneOfEach()[1], Metadata());
  EXPECT_EQ(record.key, "sku-1");
  const Headers expected = {{"ce_specversion", "1.0"},
                            {"ce_id", Metadata().event_id},
                            {"ce_type", "inventory.stock_reserved.v1"},
                            {"ce_source", "/command-service"},
                            {"ce_time", "2025-11-24T16:00:00.000Z"},
                            {"ce_subject", "sku-1"},
                            {"content-type", "application/json"},
                            {"orders_actor", "staff:ops"}};
  EXPECT_EQ(record.headers, expected);
}

TEST(InventoryCodec, EventNamesDropTheVersion) {
  const char* names[] = {"inventory.stock_set", "inventory.stock_reserved", "inventory.reservation_refused",
                         "inventory.stock_released", "inventory.stock_committed"};
  const auto events = OneOfEach();
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(EventName(events[i]), names[i]);
}

// The payload of `event` with `field` replaced (or removed, for a null `value`).
std::string Edited(const StockEvent& event, const std::string& field, const Json& value) {
  Json json = EventPayloadToJson(event);
  if (value.is_null()) {
    json.erase(field);
  } else {
    json[field] = value;
  }
  return json.dump();
}

TEST(InventoryCodec, DecodingIsStrict) {
  const auto events = OneOfEach();
  const auto headers = [](const StockEvent& event) { return EncodeEvent(event, Metadata()).headers; };
  const StockEvent& set = events[0];
  const StockEvent& reserved = events[1];
  const struct {
    const StockEvent& event;
    std::string field;
    Json value;
  } cases[] = {
      {set, "onHand", -1},
      {set, "onHand", 1000000001},
      {set, "onHand", 1.5},
      {set, "onHand", "10"},
      {set, "onHand", nullptr},
      {set, "extra", 1},
      {set, "productId", "sku 1"},
      {set, "version", 0},
      {set, "at", "yesterday"},
      {reserved, "quantity", 0},
      {reserved, "orderId", "not-a-uuid"},
      {reserved, "version", 1},
      {reserved, "available", 3},  // only refusals carry it
      {events[2], "available", nullptr},
  };
  for (const auto& bad : cases) {
    const auto value = Edited(bad.event, bad.field, bad.value);
    EXPECT_FALSE(DecodeStockEvent("sku-1", value, headers(bad.event)).decoded) << value;
  }
}

TEST(InventoryCodec, RefusesAKeyOtherThanTheProductAndUnknownOrMissingTypes) {
  const auto record = EncodeEvent(OneOfEach()[0], Metadata());
  EXPECT_EQ(DecodeStockEvent("sku-2", record.value, record.headers).error, "record key differs from productId");
  auto headers = record.headers;
  headers[2].second = "order.placed.v1";
  EXPECT_EQ(DecodeStockEvent(record.key, record.value, headers).error, "unknown ce_type");
  headers.erase(headers.begin() + 2);
  EXPECT_EQ(DecodeStockEvent(record.key, record.value, headers).error, "missing ce_type header");
  EXPECT_FALSE(DecodeStockEvent(record.key, "[1]", record.headers).decoded);
  EXPECT_FALSE(DecodeStockEvent(record.key, "{", record.headers).decoded);
}

TEST(InventoryCodec, RefusesBadMetadataHeadersLikeTheOrderStream) {
  const auto record = EncodeEvent(OneOfEach()[0], Metadata());
  auto without_id = record.headers;
  without_id.erase(without_id.begin() + 1);
  EXPECT_EQ(DecodeStockEvent(record.key, record.value, without_id).error, "ce_id is required");
  auto bad_actor = record.headers;
  bad_actor.back().second = "staff:\x01";
  EXPECT_FALSE(DecodeStockEvent(record.key, record.value, bad_actor).decoded);
}

TEST(InventoryCodec, StockJsonCarriesAvailable) {
  Stock stock{"sku-1", 5, 8, {{kOrder, 8}}, {}, 4, kAt};
  EXPECT_EQ(StockToJson(stock).dump(), R"({"available":0,"onHand":5,"productId":"sku-1","reserved":8,"version":4})");
}

}  // namespace
}  // namespace orders::codec

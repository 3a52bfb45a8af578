#pragma once
// Kafka record <-> inventory event, and the stock level's JSON. The record
// format is the orders stream's (schemas/json/envelope.md, "inventory.events"):
// key = productId, value = JSON payload, the same CloudEvents binary-mode and
// metadata headers (event_codec.hpp).

#include <optional>
#include <string>
#include <string_view>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/json_read.hpp>
#include <orders/domain/inventory.hpp>

namespace orders::codec {

inline constexpr std::string_view kStockSetType = "inventory.stock_set.v1";
inline constexpr std::string_view kStockReservedType = "inventory.stock_reserved.v1";
inline constexpr std::string_view kReservationRefusedType = "inventory.reservation_refused.v1";
inline constexpr std::string_view kStockReleasedType = "inventory.stock_released.v1";
inline constexpr std::string_view kStockCommittedType = "inventory.stock_committed.v1";
inline constexpr std::size_t kMaxStockEventBytes = 4 * 1024;

// The versioned type, e.g. "inventory.stock_set.v1" (the ce_type header).
std::string_view EventType(const domain::StockEvent& event);
// The type without its version, e.g. "inventory.stock_set".
std::string_view EventName(const domain::StockEvent& event);
Json EventPayloadToJson(const domain::StockEvent& event);
EventRecord EncodeEvent(const domain::StockEvent& event, const EventMetadata& metadata);

struct DecodedStockEvent {
  domain::StockEvent event;
  EventMetadata metadata;
};

struct StockDecodeResult {
  std::optional<DecodedStockEvent> decoded;
  std::string error;  // why it could not be decoded; empty on success
};

// Strict: unknown fields, a wrong type, out-of-range numbers, a key other
// than the payload's productId or a bad header refuse the record.
StockDecodeResult DecodeStockEvent(std::string_view key, std::string_view value, const Headers& headers);

// {productId, onHand, reserved, available, version}: the command API's answer.
Json StockToJson(const domain::Stock& stock);

}  // namespace orders::codec

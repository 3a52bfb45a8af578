#include <orders/codec/inventory_codec.hpp>

#include <iterator>

#include <orders/codec/time_format.hpp>
#include <orders/domain/validation.hpp>

namespace orders::codec {
namespace {

Json Common(const std::string& product_id, std::int64_t version, domain::Timestamp at) {
  Json json = Json::object();
  json.emplace("productId", product_id);
  json.emplace("version", version);
  json.emplace("at", FormatTimestamp(at));
  return json;
}

Json PayloadOf(const domain::StockSet& set) {
  Json json = Common(set.product_id, set.version, set.at);
  json.emplace("onHand", set.on_hand);
  return json;
}

// Reserved, released and committed share their shape: an order and a quantity.
template <typename OrderEvent>
Json OrderQuantityPayload(const OrderEvent& event) {
  Json json = Common(event.product_id, event.version, event.at);
  json.emplace("orderId", event.order_id);
  json.emplace("quantity", event.quantity);
  return json;
}

Json PayloadOf(const domain::StockReserved& event) { return OrderQuantityPayload(event); }
Json PayloadOf(const domain::StockReleased& event) { return OrderQuantityPayload(event); }
Json PayloadOf(const domain::StockCommitted& event) { return OrderQuantityPayload(event); }

Json PayloadOf(const domain::ReservationRefused& refused) {
  Json json = OrderQuantityPayload(refused);
  json.emplace("available", refused.available);
  return json;
}

struct CommonFields {
  std::string product_id;
  std::int64_t version = 0;
  domain::Timestamp at{};
};

CommonFields ReadCommon(FieldReader& reader) {
  CommonFields common;
  common.product_id = reader.String("productId", true).value_or("");
  if (!domain::IsValidProductId(common.product_id)) reader.errors().push_back({"productId", "must be a product id"});
  common.version = reader.EventVersion();
  common.at = reader.EventTime();
  return common;
}

// An integer from `min` to kMaxOnHand.
std::int64_t ReadAmount(FieldReader& reader, const char* name, std::int64_t min) {
  const auto value = reader.Integer(name, true);
  if (value && (*value < min || *value > domain::kMaxOnHand)) {
    reader.errors().push_back({name, "must be an integer from " + std::to_string(min) + " to 1000000000"});
  }
  return value.value_or(0);
}

std::optional<domain::StockEvent> ReadStockSet(FieldReader& reader) {
  CommonFields common = ReadCommon(reader);
  const std::int64_t on_hand = ReadAmount(reader, "onHand", 0);
  reader.RejectUnknown({"productId", "version", "at", "onHand"});
  if (!reader.errors().empty()) return std::nullopt;
  return domain::StockSet{std::move(common.product_id), common.version, common.at, on_hand};
}

template <typename OrderEvent>
std::optional<domain::StockEvent> ReadOrderQuantity(FieldReader& reader) {
  CommonFields common = ReadCommon(reader);
  auto order_id = reader.String("orderId", true).value_or("");
  if (!domain::IsValidOrderId(order_id)) reader.errors().push_back({"orderId", "must be a UUID"});
  const std::int64_t quantity = ReadAmount(reader, "quantity", 1);
  // Only a product's first event (stock_set) has version 1.
  if (common.version == 1) reader.errors().push_back({"version", "must be >= 2"});
  if constexpr (std::is_same_v<OrderEvent, domain::ReservationRefused>) {
    const std::int64_t available = ReadAmount(reader, "available", 0);
    reader.RejectUnknown({"productId", "version", "at", "orderId", "quantity", "available"});
    if (!reader.errors().empty()) return std::nullopt;
    return domain::ReservationRefused{std::move(common.product_id), common.version, common.at,
                                      std::move(order_id),          quantity,       available};
  } else {
    reader.RejectUnknown({"productId", "version", "at", "orderId", "quantity"});
    if (!reader.errors().empty()) return std::nullopt;
    return OrderEvent{std::move(common.product_id), common.version, common.at, std::move(order_id), quantity};
  }
}

std::string Describe(const std::vector<domain::FieldError>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += "; ";
    text += error.field + " " + error.reason;
  }
  return text;
}

}  // namespace

std::string_view EventType(const domain::StockEvent& event) {
  static constexpr std::string_view kTypes[] = {kStockSetType, kStockReservedType, kReservationRefusedType,
                                                kStockReleasedType, kStockCommittedType};
  static_assert(std::size(kTypes) == std::variant_size_v<domain::StockEvent>);
  return kTypes[event.index()];
}

std::string_view EventName(const domain::StockEvent& event) {
  const std::string_view type = EventType(event);
  return type.substr(0, type.rfind('.'));
}

Json EventPayloadToJson(const domain::StockEvent& event) {
  return std::visit([](const auto& e) { return PayloadOf(e); }, event);
}

EventRecord EncodeEvent(const domain::StockEvent& event, const EventMetadata& metadata) {
  EventRecord record;
  record.key = domain::ProductIdOf(event);
  record.value = DumpJson(EventPayloadToJson(event));
  record.headers = EventHeaders(EventType(event), record.key, domain::TimeOf(event), metadata);
  return record;
}

StockDecodeResult DecodeStockEvent(std::string_view key, std::string_view value, const Headers& headers) {
  const std::string* type = FindHeader(headers, "ce_type");
  if (!type) return {std::nullopt, "missing ce_type header"};
  auto json = ParseJson(value, kMaxStockEventBytes);
  if (!json || !json->is_object()) return {std::nullopt, "payload is not a JSON object"};

  FieldReader reader(*json);
  std::optional<domain::StockEvent> event;
  if (*type == kStockSetType) {
    event = ReadStockSet(reader);
  } else if (*type == kStockReservedType) {
    event = ReadOrderQuantity<domain::StockReserved>(reader);
  } else if (*type == kReservationRefusedType) {
    event = ReadOrderQuantity<domain::ReservationRefused>(reader);
  } else if (*type == kStockReleasedType) {
    event = ReadOrderQuantity<domain::StockReleased>(reader);
  } else if (*type == kStockCommittedType) {
    event = ReadOrderQuantity<domain::StockCommitted>(reader);
  } else {
    return {std::nullopt, "unknown ce_type"};
  }
  if (!event) return {std::nullopt, "invalid payload: " + Describe(reader.errors())};
  if (domain::ProductIdOf(*event) != key) return {std::nullopt, "record key differs from productId"};

  EventMetadata metadata;
  if (auto error = DecodeMetadata(headers, metadata); !error.empty()) return {std::nullopt, std::move(error)};
  return {DecodedStockEvent{std::move(*event), std::move(metadata)}, {}};
}

Json StockToJson(const domain::Stock& stock) {
  Json json = Json::object();
  json.emplace("productId", stock.product_id);
  json.emplace("onHand", stock.on_hand);
  json.emplace("reserved", stock.reserved);
  json.emplace("available", domain::Available(stock));
  json.emplace("version", stock.version);
  return json;
}

}  // namespace orders::codec

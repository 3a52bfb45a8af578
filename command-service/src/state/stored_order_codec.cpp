#include <orders/command/stored_order_codec.hpp>

#include <orders/codec/order_json.hpp>

namespace orders::command {
namespace {

constexpr int kFormat = 1;

}  // namespace

std::string EncodeStoredOrder(const domain::Order& order) {
  codec::Json json = codec::OrderToJson(order);
  json["declinedBy"] = order.declined_by;
  json["storeFormat"] = kFormat;
  const auto bytes = codec::Json::to_msgpack(json);
  return {bytes.begin(), bytes.end()};
}

std::optional<domain::Order> DecodeStoredOrder(std::string_view bytes) {
  codec::Json json = codec::Json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  const auto format = json.find("storeFormat");
  const auto declined = json.find("declinedBy");
  if (format == json.end() || *format != kFormat || declined == json.end() || !declined->is_array()) {
    return std::nullopt;
  }
  std::vector<std::string> declined_by;
  for (const auto& courier : *declined) {
    if (!courier.is_string()) return std::nullopt;
    declined_by.push_back(courier.get<std::string>());
  }
  json.erase("storeFormat");
  json.erase("declinedBy");
  auto order = codec::OrderFromJson(json);
  if (!order) return std::nullopt;
  order->declined_by = std::move(declined_by);
  return order;
}

}  // namespace orders::command

#include <orders/command/stored_stock_codec.hpp>

#include <orders/codec/json_read.hpp>

namespace orders::command {
namespace {

using codec::Json;

// 2: a settled reservation carries when it was settled. 1 (before it) is still read: its settled
// reservations count as settled at the product's last event.
constexpr int kFormat = 2;
constexpr int kFormatWithoutSettleTimes = 1;

bool IsCount(const Json& value) { return value.is_number_integer(); }

std::optional<domain::ReservationState> ReservationStateOf(const Json& value) {
  if (!value.is_number_integer()) return std::nullopt;
  const auto number = value.get<std::int64_t>();
  if (number < static_cast<std::int64_t>(domain::ReservationState::kNone) ||
      number > static_cast<std::int64_t>(domain::ReservationState::kCommitted)) {
    return std::nullopt;
  }
  return static_cast<domain::ReservationState>(number);
}

}  // namespace

std::string EncodeStoredStock(const domain::Stock& stock) {
  // Arrays, not objects keyed by order id: shorter, and the maps come back in the same order.
  Json reservations = Json::array();
  for (const auto& [order_id, quantity] : stock.reservations) reservations.push_back(Json::array({order_id, quantity}));
  Json settled = Json::array();
  for (const auto& [order_id, reservation] : stock.settled) {
    settled.push_back(Json::array({order_id, static_cast<int>(reservation.how), reservation.quantity,
                                   reservation.at.time_since_epoch().count()}));
  }
  const Json json{{"storeFormat", kFormat},
                  {"productId", stock.product_id},
                  {"onHand", stock.on_hand},
                  {"reserved", stock.reserved},
                  {"version", stock.version},
                  {"updatedAt", stock.updated_at.time_since_epoch().count()},
                  {"reservations", std::move(reservations)},
                  {"settled", std::move(settled)}};
  const auto bytes = Json::to_msgpack(json);
  return {bytes.begin(), bytes.end()};
}

std::optional<domain::Stock> DecodeStoredStock(std::string_view bytes) {
  const Json json = Json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  if (json.is_discarded() || !json.is_object() || json.size() != 8) return std::nullopt;
  for (const char* field :
       {"storeFormat", "productId", "onHand", "reserved", "version", "updatedAt", "reservations", "settled"}) {
    if (!json.contains(field)) return std::nullopt;
  }
  const bool with_settle_times = json["storeFormat"] == kFormat;
  if ((!with_settle_times && json["storeFormat"] != kFormatWithoutSettleTimes) || !json["productId"].is_string() ||
      !IsCount(json["onHand"]) || !IsCount(json["reserved"]) || !IsCount(json["version"]) ||
      !IsCount(json["updatedAt"]) || !json["reservations"].is_array() || !json["settled"].is_array()) {
    return std::nullopt;
  }
  domain::Stock stock;
  stock.product_id = json["productId"].get<std::string>();
  stock.on_hand = json["onHand"].get<std::int64_t>();
  stock.reserved = json["reserved"].get<std::int64_t>();
  stock.version = json["version"].get<std::int64_t>();
  stock.updated_at = domain::Timestamp(std::chrono::milliseconds(json["updatedAt"].get<std::int64_t>()));
  std::int64_t open = 0;
  for (const auto& entry : json["reservations"]) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !IsCount(entry[1])) return std::nullopt;
    const auto quantity = entry[1].get<std::int64_t>();
    stock.reservations[entry[0].get<std::string>()] = quantity;
    open += quantity;
  }
  // `reserved` is the sum of the open reservations (inventory.hpp): a record where it is not is damaged.
  if (open != stock.reserved || stock.reservations.size() != json["reservations"].size()) return std::nullopt;
  const std::size_t fields = with_settle_times ? 4 : 3;
  for (const auto& entry : json["settled"]) {
    if (!entry.is_array() || entry.size() != fields || !entry[0].is_string() || !IsCount(entry[2]) ||
        (with_settle_times && !IsCount(entry[3]))) {
      return std::nullopt;
    }
    const auto how = ReservationStateOf(entry[1]);
    if (!how) return std::nullopt;
    const domain::Timestamp at = with_settle_times
                                     ? domain::Timestamp(std::chrono::milliseconds(entry[3].get<std::int64_t>()))
                                     : stock.updated_at;
    stock.settled[entry[0].get<std::string>()] = {*how, entry[2].get<std::int64_t>(), at};
  }
  if (stock.settled.size() != json["settled"].size()) return std::nullopt;
  return stock;
}

}  // namespace orders::command

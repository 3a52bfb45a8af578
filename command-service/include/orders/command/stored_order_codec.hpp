#pragma once
// An order's folded state as the state store keeps it: the contract's JSON
// shape (codec/order_json.hpp) plus what only the command side folds (the
// couriers who declined it), in MessagePack. Decoding is strict: a record
// that does not read back whole is refused (and the store is replayed).

#include <optional>
#include <string>
#include <string_view>

#include <orders/domain/order.hpp>

namespace orders::command {

std::string EncodeStoredOrder(const domain::Order& order);
std::optional<domain::Order> DecodeStoredOrder(std::string_view bytes);

}  // namespace orders::command

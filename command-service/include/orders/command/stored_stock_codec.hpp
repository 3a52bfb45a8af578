#pragma once
// A product's folded stock as the state store keeps it: everything the fold
// needs to go on exactly (onHand, the open reservations, the settled ones that
// make a repeated request recognisable, version, last event time), in
// MessagePack. Decoding is strict: a record that does not read back whole is
// refused (and the inventory topic replayed).

#include <optional>
#include <string>
#include <string_view>

#include <orders/domain/inventory.hpp>

namespace orders::command {

std::string EncodeStoredStock(const domain::Stock& stock);
std::optional<domain::Stock> DecodeStoredStock(std::string_view bytes);

}  // namespace orders::command

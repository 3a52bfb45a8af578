#pragma once
// The store's own records in a compact binary form, defined once: a
// StoredKey and a StateCheckpoint, each led by a format version so a store
// written by another release is recognised (and discarded) rather than misread.
// Integers are 8 bytes little-endian, strings are length-prefixed.

#include <optional>
#include <string>
#include <string_view>

#include <orders/command/command_state_store.hpp>

namespace orders::command::state {

std::string EncodeKey(const StoredKey& key);
std::optional<StoredKey> DecodeKey(std::string_view bytes);

// A resident index entry's time: empty for none, else 8 bytes. nullopt: not such an entry.
std::string EncodeSince(const std::optional<domain::Timestamp>& since);
std::optional<std::optional<domain::Timestamp>> DecodeSince(std::string_view bytes);

std::string EncodeCheckpoint(const StateCheckpoint& checkpoint);
std::optional<StateCheckpoint> DecodeCheckpoint(std::string_view bytes);

}  // namespace orders::command::state

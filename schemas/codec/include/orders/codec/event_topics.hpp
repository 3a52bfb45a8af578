#pragma once
// Event names as clients name them ("order.status_changed", without the
// payload version), the patterns that select them (WebSocket topics, SSE
// `topic=`, webhook filters), and the structured-mode CloudEvent a record
// becomes when it leaves the platform (webhook bodies). One definition for
// every outward channel, so a pattern means the same thing everywhere.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <orders/codec/event_codec.hpp>

namespace orders::codec {

// Every event name of every stream, e.g. "order.placed", "inventory.stock_set".
std::span<const std::string_view> EventNames();

// The versioned ce_type without its version: "order.placed.v1" -> "order.placed".
std::string_view EventNameOfType(std::string_view versioned_type);

// A pattern is a known event name, a stream wildcard ("order.*",
// "inventory.*") or "*" (everything). Anything else is refused, so a typo
// never becomes a subscription that silently matches nothing.
inline constexpr std::size_t kMaxEventPatternBytes = 64;
bool IsEventPattern(std::string_view pattern);
bool MatchesEventPattern(std::string_view pattern, std::string_view event_name);

// The record as a structured-mode CloudEvent (JSON format, spec 1.0):
// {"specversion","id","type","source","time","subject","datacontenttype","data"},
// `type` being the record's ce_type and `data` its payload. nullopt when the
// record lacks a required CloudEvents header or its value is not JSON.
std::optional<std::string> StructuredCloudEvent(std::string_view value, const Headers& headers);

}  // namespace orders::codec

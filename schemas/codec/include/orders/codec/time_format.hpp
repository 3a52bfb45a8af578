#pragma once
// RFC 3339 timestamps in UTC with millisecond precision: 2026-11-25T03:25:34.123Z

#include <optional>
#include <string>
#include <string_view>

#include <orders/domain/order.hpp>

namespace orders::codec {

std::string FormatTimestamp(domain::Timestamp at);
// Accepts exactly the format FormatTimestamp writes.
std::optional<domain::Timestamp> ParseTimestamp(std::string_view text);

}  // namespace orders::codec

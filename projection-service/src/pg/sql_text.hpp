#pragma once
// Text encodings for statements that pass whole batches as arrays
// (INSERT ... SELECT FROM unnest($1::text[], ...)): libpqxx 6.4 has no array
// parameters, so the store builds PostgreSQL array literals itself.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/order.hpp>

namespace orders::projection {

// {"a","b\"c",NULL}: every element quoted, `"` and `\` escaped.
std::string ArrayLiteral(const std::vector<std::optional<std::string>>& elements);
std::string ArrayLiteral(const std::vector<std::string>& elements);

// PostgreSQL text cannot hold NUL: replaced by U+FFFD.
std::string PgText(std::string_view text);
// For untrusted bytes stored as text (poison keys, errors): printable ASCII
// kept, anything else replaced by '?', cut at `max_bytes`.
std::string PrintableText(std::string_view bytes, std::size_t max_bytes = 512);
std::string HexEncode(std::string_view bytes);

// A timestamptz as PostgreSQL reads it, exactly: 2024-01-31 23:59:59.123+00
// (UTC, milliseconds). Years 0000-9999 (what events may carry); PostgreSQL has
// no year 0, so it is written 0001 BC. (Adding milliseconds to 'epoch' in SQL
// is not exact: the interval arithmetic goes through a double.)
void AppendPgTimestamp(std::string& out, domain::Timestamp at);
std::string PgTimestamp(domain::Timestamp at);

}  // namespace orders::projection

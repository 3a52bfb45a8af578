#pragma once
// Validation of the query API's parameters: every problem is reported at once
// as (field, reason) pairs that are safe to show to clients. Unknown
// parameters are refused so that typos do not silently widen a query.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/domain/status.hpp>
#include <orders/domain/validation.hpp>
#include <orders/projection/cursor.hpp>

namespace orders::projection {

using Params = std::map<std::string, std::string>;
using ParamErrors = std::vector<domain::FieldError>;

inline constexpr std::int64_t kDefaultPageSize = 50;
inline constexpr std::int64_t kMaxPageSize = 500;
inline constexpr int kMaxReportDays = 366;

struct OrderLookup {
  std::string order_id;
  std::optional<std::int64_t> min_version;
};

struct ListQuery {
  std::optional<std::string> customer_id;
  std::optional<std::string> courier_id;
  std::optional<domain::Status> status;
  // Creation time: from `created_from` (inclusive) to before `created_before`.
  std::optional<domain::Timestamp> created_from;
  std::optional<domain::Timestamp> created_before;
  std::int64_t limit = kDefaultPageSize;
  std::optional<ListCursor> cursor;
};

// GET /deliveries/open: orders open for delivery, oldest first.
struct OpenDeliveriesQuery {
  std::int64_t limit = kDefaultPageSize;
  std::optional<ListCursor> cursor;
  // Set by the HTTP layer for a courier: leave out what it declined.
  std::optional<std::string> declined_by;
};

// GET /inventory: tracked products by productId, ascending.
struct InventoryQuery {
  // Only products whose available stock is below this (0..1e9).
  std::optional<std::int64_t> below_available;
  std::int64_t limit = kDefaultPageSize;
  std::optional<std::string> after_product_id;  // from the cursor
};

struct DailyQuery {
  std::chrono::sys_days from{};
  std::chrono::sys_days to{};  // inclusive
};

inline constexpr std::int64_t kDefaultTopProducts = 10;
inline constexpr std::int64_t kMaxTopProducts = 100;

struct ProductsQuery {
  DailyQuery range;
  std::int64_t limit = kDefaultTopProducts;
};

template <typename T>
struct Parsed {
  std::optional<T> value;
  ParamErrors errors;
};

Parsed<OrderLookup> ParseOrderLookup(const std::string& order_id, const Params& params);
Parsed<ListQuery> ParseListQuery(const Params& params);
Parsed<OpenDeliveriesQuery> ParseOpenDeliveriesQuery(const Params& params);
Parsed<InventoryQuery> ParseInventoryQuery(const Params& params);
// `today` fills missing bounds: to = today, from = to - 29 days.
// At most kMaxReportDays days; 400 reasons state the limit.
Parsed<DailyQuery> ParseDailyQuery(const Params& params, std::chrono::sys_days today);
// The range as ParseDailyQuery, and limit 1..kMaxTopProducts (default 10).
Parsed<ProductsQuery> ParseProductsQuery(const Params& params, std::chrono::sys_days today);
Parsed<bool> ParseNoParams(const Params& params);

std::optional<std::chrono::sys_days> ParseDate(std::string_view text);
// A list's `from` / `to`: a UTC date (the whole day) or an RFC 3339 timestamp
// as the API writes them (2026-12-04T08:00:00.000Z). `from` is where the day
// or instant starts; `to`, where the day ends (the next midnight) or the
// instant itself (then an order created exactly at `to` is included: +1 ms).
std::optional<domain::Timestamp> ParseRangeStart(std::string_view text);
std::optional<domain::Timestamp> ParseRangeEnd(std::string_view text);
std::string FormatDate(std::chrono::sys_days day);

}  // namespace orders::projection

#include <orders/projection/query_params.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <orders/codec/time_format.hpp>
#include <orders/domain/inventory.hpp>

namespace orders::projection {
namespace {

void RejectUnknown(const Params& params, std::initializer_list<std::string_view> known, ParamErrors& errors) {
  for (const auto& [name, value] : params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      errors.push_back({name.size() <= 64 ? name : name.substr(0, 64), "is not a known parameter"});
    }
  }
}

const std::string* Find(const Params& params, const char* name) {
  auto it = params.find(name);
  return it == params.end() ? nullptr : &it->second;
}

// Decimal digits only (no sign, no spaces), within [min, max].
std::optional<std::int64_t> ParseBounded(const std::string& text, std::int64_t min, std::int64_t max) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value < min || value > max) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::sys_days> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t length) {
    int value = 0;
    std::from_chars(text.data() + at, text.data() + at + length, value);
    return value;
  };
  const std::chrono::year_month_day date{std::chrono::year{number(0, 4)},
                                         std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                         std::chrono::day{static_cast<unsigned>(number(8, 2))}};
  if (!date.ok() || date.year() < std::chrono::year{1970}) return std::nullopt;
  return std::chrono::sys_days{date};
}

std::optional<domain::Timestamp> ParseRangeStart(std::string_view text) {
  if (const auto day = ParseDate(text)) return domain::Timestamp{*day};
  return codec::ParseTimestamp(text);
}

std::optional<domain::Timestamp> ParseRangeEnd(std::string_view text) {
  if (const auto day = ParseDate(text)) return domain::Timestamp{*day + std::chrono::days(1)};
  if (const auto at = codec::ParseTimestamp(text)) return *at + std::chrono::milliseconds(1);
  return std::nullopt;
}

std::string FormatDate(std::chrono::sys_days day) {
  const std::chrono::year_month_day date{day};
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

Parsed<OrderLookup> ParseOrderLookup(const std::string& order_id, const Params& params) {
  Parsed<OrderLookup> result;
  OrderLookup lookup;
  RejectUnknown(params, {"minVersion"}, result.errors);
  if (!domain::IsValidOrderId(order_id)) {
    result.errors.push_back({"orderId", "must be a lower-case UUID"});
  } else {
    lookup.order_id = order_id;
  }
  if (const auto* text = Find(params, "minVersion")) {
    lookup.min_version = ParseBounded(*text, 1, std::int64_t{1} << 53);
    if (!lookup.min_version) result.errors.push_back({"minVersion", "must be a positive integer"});
  }
  if (result.errors.empty()) result.value = std::move(lookup);
  return result;
}

namespace {

void ParseLimit(const Params& params, std::int64_t& limit, ParamErrors& errors) {
  if (const auto* text = Find(params, "limit")) {
    if (const auto parsed = ParseBounded(*text, 1, kMaxPageSize)) {
      limit = *parsed;
    } else {
      errors.push_back({"limit", "must be an integer from 1 to 500"});
    }
  }
}

// limit and cursor, as every list of orders takes them.
void ParsePage(const Params& params, CursorList list, std::int64_t& limit, std::optional<ListCursor>& cursor,
               ParamErrors& errors) {
  ParseLimit(params, limit, errors);
  if (const auto* text = Find(params, "cursor")) {
    cursor = DecodeCursor(*text, list);
    if (!cursor) errors.push_back({"cursor", "is not a cursor returned by this API"});
  }
}

// A customerId or courierId filter: 1-64 characters of [A-Za-z0-9._-].
std::optional<std::string> ParseIdentity(const Params& params, const char* name, ParamErrors& errors) {
  const auto* text = Find(params, name);
  if (!text) return std::nullopt;
  if (domain::IsValidCustomerId(*text)) return *text;
  errors.push_back({name, "must be 1-64 characters of A-Z a-z 0-9 . _ -"});
  return std::nullopt;
}

}  // namespace

Parsed<ListQuery> ParseListQuery(const Params& params) {
  Parsed<ListQuery> result;
  ListQuery query;
  RejectUnknown(params, {"customerId", "courierId", "status", "from", "to", "limit", "cursor"}, result.errors);
  if (const auto* text = Find(params, "from")) {
    query.created_from = ParseRangeStart(*text);
    if (!query.created_from)
      result.errors.push_back({"from", "must be a date YYYY-MM-DD or an RFC 3339 UTC timestamp"});
  }
  if (const auto* text = Find(params, "to")) {
    query.created_before = ParseRangeEnd(*text);
    if (!query.created_before)
      result.errors.push_back({"to", "must be a date YYYY-MM-DD or an RFC 3339 UTC timestamp"});
  }
  if (query.created_from && query.created_before && *query.created_from >= *query.created_before) {
    result.errors.push_back({"from", "must not be after to"});
  }
  query.customer_id = ParseIdentity(params, "customerId", result.errors);
  query.courier_id = ParseIdentity(params, "courierId", result.errors);
  if (const auto* text = Find(params, "status")) {
    query.status = domain::ParseStatus(*text);
    if (!query.status) {
      result.errors.push_back({"status",
                               "must be one of pending, confirmed, processing, shipped, "
                               "out_for_delivery, delivered, cancelled"});
    }
  }
  ParsePage(params, CursorList::kOrders, query.limit, query.cursor, result.errors);
  if (result.errors.empty()) result.value = std::move(query);
  return result;
}

Parsed<OpenDeliveriesQuery> ParseOpenDeliveriesQuery(const Params& params) {
  Parsed<OpenDeliveriesQuery> result;
  OpenDeliveriesQuery query;
  RejectUnknown(params, {"limit", "cursor"}, result.errors);
  ParsePage(params, CursorList::kOpenDeliveries, query.limit, query.cursor, result.errors);
  if (result.errors.empty()) result.value = std::move(query);
  return result;
}

Parsed<InventoryQuery> ParseInventoryQuery(const Params& params) {
  Parsed<InventoryQuery> result;
  InventoryQuery query;
  RejectUnknown(params, {"belowAvailable", "limit", "cursor"}, result.errors);
  if (const auto* text = Find(params, "belowAvailable")) {
    query.below_available = ParseBounded(*text, 0, domain::kMaxOnHand);
    if (!query.below_available) result.errors.push_back({"belowAvailable", "must be an integer from 0 to 1000000000"});
  }
  ParseLimit(params, query.limit, result.errors);
  if (const auto* text = Find(params, "cursor")) {
    query.after_product_id = DecodeProductCursor(*text);
    if (!query.after_product_id) result.errors.push_back({"cursor", "is not a cursor returned by this API"});
  }
  if (result.errors.empty()) result.value = std::move(query);
  return result;
}

Parsed<DailyQuery> ParseDailyQuery(const Params& params, std::chrono::sys_days today) {
  Parsed<DailyQuery> result;
  RejectUnknown(params, {"from", "to"}, result.errors);
  std::optional<std::chrono::sys_days> from, to;
  if (const auto* text = Find(params, "to")) {
    to = ParseDate(*text);
    if (!to) result.errors.push_back({"to", "must be a date YYYY-MM-DD"});
  } else {
    to = today;
  }
  if (const auto* text = Find(params, "from")) {
    from = ParseDate(*text);
    if (!from) result.errors.push_back({"from", "must be a date YYYY-MM-DD"});
  } else if (to) {
    from = *to - std::chrono::days(29);
  }
  if (from && to) {
    if (*from > *to) {
      result.errors.push_back({"from", "must not be after to"});
    } else if ((*to - *from).count() >= kMaxReportDays) {
      result.errors.push_back({"to", "the range must span at most 366 days"});
    }
  }
  if (result.errors.empty()) result.value = DailyQuery{*from, *to};
  return result;
}

Parsed<ProductsQuery> ParseProductsQuery(const Params& params, std::chrono::sys_days today) {
  Params range = params;
  Parsed<ProductsQuery> result;
  ProductsQuery query;
  if (const auto* text = Find(params, "limit")) {
    if (const auto parsed = ParseBounded(*text, 1, kMaxTopProducts)) {
      query.limit = *parsed;
    } else {
      result.errors.push_back({"limit", "must be an integer from 1 to 100"});
    }
    range.erase("limit");
  }
  auto parsed_range = ParseDailyQuery(range, today);
  result.errors.insert(result.errors.end(), parsed_range.errors.begin(), parsed_range.errors.end());
  if (result.errors.empty()) {
    query.range = *parsed_range.value;
    result.value = query;
  }
  return result;
}

Parsed<bool> ParseNoParams(const Params& params) {
  Parsed<bool> result;
  RejectUnknown(params, {}, result.errors);
  if (result.errors.empty()) result.value = true;
  return result;
}

}  // namespace orders::projection

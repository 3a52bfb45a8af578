#include <orders/projection/cursor.hpp>

#include <charconv>

#include <orders/domain/inventory.hpp>
#include <orders/domain/validation.hpp>
#include <orders/platform/base64url.hpp>

namespace orders::projection {

using platform::Base64UrlDecode;
using platform::Base64UrlEncode;
namespace {

std::string_view TagOf(CursorList list) { return list == CursorList::kOrders ? "c1" : "d1"; }

}  // namespace

std::string EncodeCursor(const ListCursor& cursor, CursorList list) {
  return Base64UrlEncode(std::string(TagOf(list)) + "|" + std::to_string(cursor.created_at.time_since_epoch().count()) +
                         "|" + cursor.order_id);
}

std::optional<ListCursor> DecodeCursor(std::string_view text, CursorList list) {
  if (text.empty() || text.size() > 128) return std::nullopt;
  const auto raw = Base64UrlDecode(text);
  if (!raw) return std::nullopt;
  const std::string_view body(*raw);
  const auto first = body.find('|');
  const auto second = first == std::string_view::npos ? first : body.find('|', first + 1);
  if (second == std::string_view::npos || body.substr(0, first) != TagOf(list)) return std::nullopt;
  const auto millis_text = body.substr(first + 1, second - first - 1);
  std::int64_t millis = 0;
  const auto [end, error] = std::from_chars(millis_text.data(), millis_text.data() + millis_text.size(), millis);
  // One spelling per value: digits only, no sign ("-0" is 0) and no leading zeros (EncodeCursor writes neither).
  const bool leading_zero = millis_text.size() > 1 && millis_text.front() == '0';
  const bool signed_text = !millis_text.empty() && millis_text.front() == '-';
  if (error != std::errc() || end != millis_text.data() + millis_text.size() || millis_text.empty() || leading_zero ||
      signed_text || millis < 0 || millis > 253402300799999) {  // 9999-12-31T23:59:59.999Z
    return std::nullopt;
  }
  ListCursor cursor{domain::Timestamp{std::chrono::milliseconds(millis)}, std::string(body.substr(second + 1))};
  if (!domain::IsValidOrderId(cursor.order_id)) return std::nullopt;
  return cursor;
}

namespace {

constexpr std::string_view kProductTag = "p1|";

}  // namespace

std::string EncodeProductCursor(std::string_view product_id) {
  return Base64UrlEncode(std::string(kProductTag) + std::string(product_id));
}

std::optional<std::string> DecodeProductCursor(std::string_view text) {
  if (text.empty() || text.size() > 128) return std::nullopt;
  const auto raw = Base64UrlDecode(text);
  if (!raw || raw->rfind(kProductTag, 0) != 0) return std::nullopt;
  std::string product_id = raw->substr(kProductTag.size());
  if (!domain::IsValidProductId(product_id)) return std::nullopt;
  return product_id;
}

}  // namespace orders::projection

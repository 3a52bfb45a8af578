#include <orders/projection/cursor.hpp>

#include <charconv>

#include <orders/domain/validation.hpp>

namespace orders::projection {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kVersionTag = "c1";

int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = Sextet(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, so that each cursor has one spelling.
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string EncodeCursor(const ListCursor& cursor) {
  return Base64UrlEncode(std::string(kVersionTag) + "|" + std::to_string(cursor.created_at.time_since_epoch().count()) +
                         "|" + cursor.order_id);
}

std::optional<ListCursor> DecodeCursor(std::string_view text) {
  if (text.empty() || text.size() > 128) return std::nullopt;
  const auto raw = Base64UrlDecode(text);
  if (!raw) return std::nullopt;
  const std::string_view body(*raw);
  const auto first = body.find('|');
  const auto second = first == std::string_view::npos ? first : body.find('|', first + 1);
  if (second == std::string_view::npos || body.substr(0, first) != kVersionTag) return std::nullopt;
  const auto millis_text = body.substr(first + 1, second - first - 1);
  std::int64_t millis = 0;
  const auto [end, error] = std::from_chars(millis_text.data(), millis_text.data() + millis_text.size(), millis);
  // One spelling per value: no leading zeros (EncodeCursor never writes them).
  const bool leading_zero = millis_text.size() > 1 && millis_text.front() == '0';
  if (error != std::errc() || end != millis_text.data() + millis_text.size() || millis_text.empty() || leading_zero ||
      millis < 0 || millis > 253402300799999) {  // 9999-12-31T23:59:59.999Z
    return std::nullopt;
  }
  ListCursor cursor{domain::Timestamp{std::chrono::milliseconds(millis)}, std::string(body.substr(second + 1))};
  if (!domain::IsValidOrderId(cursor.order_id)) return std::nullopt;
  return cursor;
}

}  // namespace orders::projection

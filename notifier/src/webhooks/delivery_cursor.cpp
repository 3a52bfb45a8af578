#include <orders/notifier/webhooks/delivery_cursor.hpp>

#include <charconv>

#include <orders/platform/base64url.hpp>

namespace orders::notifier::webhooks {

std::string EncodeDeliveryCursor(const DeliveryCursor& cursor) {
  return platform::Base64UrlEncode(std::to_string(cursor.event_time_us) + ":" + cursor.event_id);
}

std::optional<DeliveryCursor> DecodeDeliveryCursor(std::string_view text) {
  if (text.empty() || text.size() > 512) return std::nullopt;
  const auto decoded = platform::Base64UrlDecode(text);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == decoded->size()) return std::nullopt;
  DeliveryCursor cursor;
  const char* end = decoded->data() + colon;
  const auto [stop, error] = std::from_chars(decoded->data(), end, cursor.event_time_us);
  if (error != std::errc() || stop != end) return std::nullopt;
  cursor.event_id = decoded->substr(colon + 1);
  return cursor;
}

std::int64_t MicrosSinceEpoch(WallClock::time_point at) {
  return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

WallClock::time_point FromMicros(std::int64_t micros) {
  return WallClock::time_point(std::chrono::duration_cast<WallClock::duration>(std::chrono::microseconds(micros)));
}

}  // namespace orders::notifier::webhooks

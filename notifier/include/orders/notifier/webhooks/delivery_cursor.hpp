#pragma once
// The keyset cursor of DeliveryLedger::List: the position (event_time,
// event_id) of the last delivery of a page, in the listing's order (newest
// event first). Opaque to clients (base64url text); both ledgers use this one
// codec, so a cursor means the same on each. Times have microsecond
// precision, PostgreSQL's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

struct DeliveryCursor {
  std::int64_t event_time_us = 0;  // microseconds since the Unix epoch
  std::string event_id;
};

std::string EncodeDeliveryCursor(const DeliveryCursor& cursor);
// nullopt for anything EncodeDeliveryCursor did not write.
std::optional<DeliveryCursor> DecodeDeliveryCursor(std::string_view text);

std::int64_t MicrosSinceEpoch(WallClock::time_point at);
WallClock::time_point FromMicros(std::int64_t micros);
// Truncated to what the stores keep (microseconds).
inline WallClock::time_point StoredTime(WallClock::time_point at) { return FromMicros(MicrosSinceEpoch(at)); }

}  // namespace orders::notifier::webhooks

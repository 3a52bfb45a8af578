#pragma once
// RFC 3339 date-times as clients write them (the replay's `from`):
// 2026-12-05T01:02:03Z, with an optional fraction (up to 9 digits, kept to
// the microsecond) and `Z` or a numeric offset (+01:00). `T`/`Z` in either case.

#include <optional>
#include <string_view>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

std::optional<WallClock::time_point> ParseRfc3339(std::string_view text);

}  // namespace orders::notifier::webhooks

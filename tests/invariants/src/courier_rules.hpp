#pragma once
// The courier invariants of one log record, given the order as it was just
// before it (checker.hpp, invariant 5). Stated here on their own, not through
// domain/access.hpp, so a mistake in the shared permission table is caught
// rather than copied.

#include <optional>
#include <string>

#include <orders/domain/access.hpp>
#include <orders/domain/events.hpp>
#include <orders/domain/order.hpp>
#include <orders/invariants/checker.hpp>

namespace orders::invariants {

// "<role>:<subject>" (the orders_actor header) -> the actor; nullopt when malformed.
std::optional<domain::Actor> ParseActor(const std::string& text);

// Who made the change, as far as the record says.
struct RecordActor {
  std::optional<domain::Actor> actor;  // nullopt: unknown (no header in an unattributed log)
  bool attributed_log = false;         // some record of the log carries the header
  std::optional<std::string> raw;      // the header as written
};

// Checks `event` (already known to apply cleanly onto `before`) against the
// courier rules; `where` locates the record in messages.
void CheckCourierRules(const domain::Order& before, const domain::Event& event, const RecordActor& actor,
                       const std::string& where, Report& report);

}  // namespace orders::invariants

#pragma once
// Order status and the lifecycle rules between statuses.
//
// Forward moves along pending < confirmed < processing < shipped <
// out_for_delivery < delivered are allowed (steps may be skipped); backward
// moves are not. `cancelled` is reachable from pending, confirmed and
// processing only. delivered and cancelled are terminal.

#include <optional>
#include <string_view>

namespace orders::domain {

enum class Status {
  kPending,
  kConfirmed,
  kProcessing,
  kShipped,
  kOutForDelivery,
  kDelivered,
  kCancelled,
};

inline constexpr Status kAllStatuses[] = {
    Status::kPending,        Status::kConfirmed, Status::kProcessing, Status::kShipped,
    Status::kOutForDelivery, Status::kDelivered, Status::kCancelled,
};

// Wire name, e.g. "out_for_delivery".
std::string_view ToString(Status status);
std::optional<Status> ParseStatus(std::string_view text);

bool IsTerminal(Status status);

// True when an order in `from` may move to `to`. Same-status is not a
// transition (the caller treats it as an idempotent no-op).
bool IsTransitionAllowed(Status from, Status to);

}  // namespace orders::domain

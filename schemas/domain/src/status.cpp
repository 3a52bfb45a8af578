#include <orders/domain/status.hpp>

namespace orders::domain {

std::string_view ToString(Status status) {
  switch (status) {
    case Status::kPending:
      return "pending";
    case Status::kConfirmed:
      return "confirmed";
    case Status::kProcessing:
      return "processing";
    case Status::kShipped:
      return "shipped";
    case Status::kOutForDelivery:
      return "out_for_delivery";
    case Status::kDelivered:
      return "delivered";
    case Status::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<Status> ParseStatus(std::string_view text) {
  for (Status status : kAllStatuses) {
    if (ToString(status) == text) return status;
  }
  return std::nullopt;
}

bool IsTerminal(Status status) { return status == Status::kDelivered || status == Status::kCancelled; }

bool IsTransitionAllowed(Status from, Status to) {
  if (from == to || IsTerminal(from)) return false;
  if (to == Status::kCancelled) {
    return from == Status::kPending || from == Status::kConfirmed || from == Status::kProcessing;
  }
  // The enum order of the forward statuses is the lifecycle order.
  return static_cast<int>(to) > static_cast<int>(from);
}

}  // namespace orders::domain

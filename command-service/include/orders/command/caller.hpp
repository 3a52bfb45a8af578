#pragma once
// Who sends a command, as the command side sees it: the verified token's
// principal turned into the domain's actor (the permission table,
// orders/domain/access.hpp, decides on it) and the audit label written with
// every event the command causes (orders_actor header). Pure.

#include <optional>
#include <string>
#include <string_view>

#include <orders/domain/access.hpp>
#include <orders/domain/events.hpp>
#include <orders/platform/jwt.hpp>

namespace orders::command {

struct Caller {
  domain::Actor actor;
  // "<role>:<subject>"; nullopt when nobody was verified (AUTH=off).
  std::optional<std::string> audit;
  // The traceparent the command's events carry (codec/trace_context.hpp): a
  // span of ours in the client's trace, or a new trace.
  std::optional<std::string> trace_parent;
};

// What a command's events carry about their cause: orders_actor and traceparent.
struct EventLabels {
  std::optional<std::string> audit;
  std::optional<std::string> trace_parent;
};

// A new span in `trace_parent`'s trace (a step of its own); nullopt without one.
std::optional<std::string> NextSpan(const std::optional<std::string>& trace_parent);

// With auth off there is no principal: the caller acts as staff, unlabelled.
Caller CallerOf(const std::optional<platform::Principal>& principal);

// "<role>:<subject>" as at most codec::kMaxActorBytes visible ASCII bytes: a
// subject's bytes outside '!'..'~' (and '%') are percent-encoded, and a label
// that is still too long is cut, so the record is never refused for its header.
std::string AuditLabel(domain::ActorRole role, std::string_view subject);

std::string_view RoleName(domain::ActorRole role);

// How an assignment by this actor is recorded (`by` of order.courier_assigned).
domain::AssignedBy AssignedByOf(const domain::Actor& actor);

}  // namespace orders::command

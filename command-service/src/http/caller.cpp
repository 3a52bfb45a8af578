#include <orders/command/caller.hpp>

#include <orders/codec/trace_context.hpp>

#include <cstdio>

#include <orders/codec/event_codec.hpp>

namespace orders::command {
namespace {

domain::ActorRole ActorRoleOf(platform::Role role) {
  switch (role) {
    case platform::Role::kCustomer:
      return domain::ActorRole::kCustomer;
    case platform::Role::kCourier:
      return domain::ActorRole::kCourier;
    case platform::Role::kStaff:
      return domain::ActorRole::kStaff;
    case platform::Role::kService:
      return domain::ActorRole::kService;
  }
  return domain::ActorRole::kCustomer;  // the least powerful, should a role ever be added unmapped
}

}  // namespace

std::string_view RoleName(domain::ActorRole role) {
  switch (role) {
    case domain::ActorRole::kCustomer:
      return "customer";
    case domain::ActorRole::kCourier:
      return "courier";
    case domain::ActorRole::kStaff:
      return "staff";
    case domain::ActorRole::kService:
      return "service";
  }
  return "customer";
}

std::string AuditLabel(domain::ActorRole role, std::string_view subject) {
  std::string label = std::string(RoleName(role)) + ":";
  for (unsigned char c : subject) {
    if (c >= '!' && c <= '~' && c != '%') {
      label += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      label += escaped;
    }
    if (label.size() >= codec::kMaxActorBytes) break;
  }
  if (label.size() > codec::kMaxActorBytes) label.resize(codec::kMaxActorBytes);
  return label;
}

Caller CallerOf(const std::optional<platform::Principal>& principal) {
  if (!principal) return {{domain::ActorRole::kStaff, ""}, std::nullopt, std::nullopt};
  const auto role = ActorRoleOf(principal->role);
  return {{role, principal->subject}, AuditLabel(role, principal->subject), std::nullopt};
}

domain::AssignedBy AssignedByOf(const domain::Actor& actor) {
  switch (actor.role) {
    case domain::ActorRole::kCourier:
      return domain::AssignedBy::kCourier;
    case domain::ActorRole::kService:
      return domain::AssignedBy::kService;
    case domain::ActorRole::kCustomer:
    case domain::ActorRole::kStaff:
      break;
  }
  return domain::AssignedBy::kStaff;
}

std::optional<std::string> NextSpan(const std::optional<std::string>& trace_parent) {
  if (!trace_parent) return std::nullopt;
  const auto parent = codec::ParseTraceParent(*trace_parent);
  if (!parent) return std::nullopt;
  return codec::FormatTraceParent(codec::ChildSpan(*parent));
}

}  // namespace orders::command

#include <orders/domain/access.hpp>

namespace orders::domain {

bool IsStaffOrService(const Actor& actor) {
  return actor.role == ActorRole::kStaff || actor.role == ActorRole::kService;
}

bool MaySee(const Actor& actor, const Order& order) {
  switch (actor.role) {
    case ActorRole::kCustomer:
      return order.customer_id == actor.id;
    case ActorRole::kCourier:
      return order.courier_id == actor.id || IsOpenForDelivery(order);
    case ActorRole::kStaff:
    case ActorRole::kService:
      return true;
  }
  return false;
}

Verdict MayPlace(const Actor& actor, std::string_view customer_id) {
  if (IsStaffOrService(actor)) return Verdict::kAllowed;
  if (actor.role == ActorRole::kCustomer && customer_id == actor.id) return Verdict::kAllowed;
  return Verdict::kForbidden;
}

Verdict MayChangeStatus(const Actor& actor, const Order& order, Status to) {
  if (IsStaffOrService(actor)) return Verdict::kAllowed;
  // Another courier's delivery: refused, not hidden, like every delivery
  // command a courier sends for it (couriers know the order from its open days).
  if (actor.role == ActorRole::kCourier && !order.courier_id.empty() && order.courier_id != actor.id) {
    return Verdict::kForbidden;
  }
  if (!MaySee(actor, order)) return Verdict::kHidden;
  if (actor.role == ActorRole::kCustomer) return to == Status::kCancelled ? Verdict::kAllowed : Verdict::kForbidden;
  const bool courier_move = to == Status::kOutForDelivery || to == Status::kDelivered;
  return courier_move && order.courier_id == actor.id ? Verdict::kAllowed : Verdict::kForbidden;
}

Verdict MayHandleDelivery(const Actor& actor, const Order& order, std::string_view courier_id) {
  if (IsStaffOrService(actor)) return Verdict::kAllowed;
  if (actor.role == ActorRole::kCustomer) return MaySee(actor, order) ? Verdict::kForbidden : Verdict::kHidden;
  // A courier acts for itself only. Whether the order is still open, or
  // already another courier's (409 for a late accept, 403 for a release), is
  // Decide's answer.
  return courier_id == actor.id ? Verdict::kAllowed : Verdict::kForbidden;
}

}  // namespace orders::domain

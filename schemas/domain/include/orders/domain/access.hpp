#pragma once
// Who may do what to an order: the permission table of the contract, as pure
// functions every service shares (command API, query API, notifier), so a
// rule is written once. Token checks happen before this, in the edge; these
// functions only see a verified actor.

#include <string>
#include <string_view>

#include <orders/domain/order.hpp>

namespace orders::domain {

enum class ActorRole { kCustomer, kCourier, kStaff, kService };

struct Actor {
  ActorRole role = ActorRole::kCustomer;
  std::string id;  // the token's subject: customerId or courierId
};

bool IsStaffOrService(const Actor& actor);

// The answer to "may this actor act on / see this order".
enum class Verdict {
  kAllowed,
  kForbidden,  // 403: the actor may know the order exists, but not do this
  kHidden,     // 404: answer as if the order did not exist
};

// Customers see their own orders; couriers the orders assigned to them and
// every open delivery; staff and services everything.
bool MaySee(const Actor& actor, const Order& order);

// Placing: staff/services for anyone; a customer for itself only; couriers never.
Verdict MayPlace(const Actor& actor, std::string_view customer_id);

// A status change to `to`: staff/services any allowed move; a customer only
// cancelling its own order; a courier only out_for_delivery / delivered on an
// order assigned to it (another courier's order: kForbidden, an order it
// cannot see otherwise: kHidden). The lifecycle itself (is the move allowed now) is
// Decide's business, not this.
Verdict MayChangeStatus(const Actor& actor, const Order& order, Status to);

// Accept / decline / release naming `courier_id`: a courier for itself only;
// staff/services for anyone; customers never (404 unless it is their order).
Verdict MayHandleDelivery(const Actor& actor, const Order& order, std::string_view courier_id);

}  // namespace orders::domain

#include "courier_rules.hpp"

#include <variant>

#include <orders/domain/status.hpp>

namespace orders::invariants {
namespace {

using domain::ActorRole;

bool IsCourier(const domain::Actor& actor, const std::string& courier_id) {
  return actor.role == ActorRole::kCourier && actor.id == courier_id;
}

std::string Describe(const RecordActor& actor) { return actor.raw ? *actor.raw : std::string("(no actor)"); }

std::string Courier(const domain::Order& order) { return order.courier_id.empty() ? "none" : order.courier_id; }

std::string Status(const domain::Order& order) { return std::string(domain::ToString(order.status)); }

void Check(const domain::Order& before, const domain::CourierAssigned& assigned, const RecordActor& actor,
           const std::string& where, Report& report) {
  ++report.counts["courier_assignments"];
  if (assigned.by == domain::AssignedBy::kCourier) {
    if (!domain::IsOpenForDelivery(before)) {
      report.Add("courier " + assigned.courier_id + " accepted an order that was not open (" + Status(before) +
                 ", courier " + Courier(before) + ")" + where);
    }
    if (actor.actor && !IsCourier(*actor.actor, assigned.courier_id)) {
      report.Add("an acceptance by courier " + assigned.courier_id + " was made by " + Describe(actor) + where);
    }
  } else if (actor.actor && !domain::IsStaffOrService(*actor.actor)) {
    report.Add("an assignment by " + std::string(domain::ToString(assigned.by)) + " was made by " + Describe(actor) +
               where);
  }
}

void Check(const domain::Order& before, const domain::CourierUnassigned& unassigned, const RecordActor& actor,
           const std::string& where, Report& report) {
  if (!actor.actor || domain::IsStaffOrService(*actor.actor))
    return;  // staff: any time before the end (Apply checks it)
  if (!IsCourier(*actor.actor, unassigned.courier_id)) {
    report.Add("courier " + unassigned.courier_id + " was unassigned by " + Describe(actor) + where);
  } else if (before.status >= domain::Status::kOutForDelivery) {
    report.Add("courier " + unassigned.courier_id + " released a delivery that was already " + Status(before) + where);
  }
}

void Check(const domain::Order& before, const domain::DeliveryDeclined& declined, const RecordActor& actor,
           const std::string& where, Report& report) {
  if (!domain::IsOpenForDelivery(before)) {
    report.Add("courier " + declined.courier_id + " declined an order that was not open (" + Status(before) +
               ", courier " + Courier(before) + ")" + where);
  }
  if (actor.actor && !domain::IsStaffOrService(*actor.actor) && !IsCourier(*actor.actor, declined.courier_id)) {
    report.Add("a decline by courier " + declined.courier_id + " was made by " + Describe(actor) + where);
  }
}

// Picking up and delivering: only the assigned courier, or staff/service.
void Check(const domain::Order& before, const domain::StatusChanged& changed, const RecordActor& actor,
           const std::string& where, Report& report) {
  if (changed.to != domain::Status::kOutForDelivery && changed.to != domain::Status::kDelivered) return;
  ++report.counts["delivery_moves"];
  if (!actor.actor) {
    ++report.counts["delivery_moves_without_actor"];  // an unattributed log: AUTH=off, every caller is staff
    return;
  }
  if (domain::IsStaffOrService(*actor.actor)) return;
  if (before.courier_id.empty() || !IsCourier(*actor.actor, before.courier_id)) {
    report.Add("moved to " + std::string(domain::ToString(changed.to)) + " by " + Describe(actor) +
               " while the assigned courier is " + Courier(before) + where);
  }
}

void Check(const domain::Order&, const domain::OrderPlaced&, const RecordActor&, const std::string&, Report&) {}
// Payment events name no courier: the courier rules have nothing to say about them.
void Check(const domain::Order&, const domain::PaymentAuthorized&, const RecordActor&, const std::string&, Report&) {}
void Check(const domain::Order&, const domain::PaymentDeclined&, const RecordActor&, const std::string&, Report&) {}
void Check(const domain::Order&, const domain::PaymentRefunded&, const RecordActor&, const std::string&, Report&) {}

}  // namespace

std::optional<domain::Actor> ParseActor(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return std::nullopt;
  const auto role = text.substr(0, colon);
  domain::Actor actor{ActorRole::kCustomer, text.substr(colon + 1)};
  if (role == "customer") {
    actor.role = ActorRole::kCustomer;
  } else if (role == "courier") {
    actor.role = ActorRole::kCourier;
  } else if (role == "staff") {
    actor.role = ActorRole::kStaff;
  } else if (role == "service") {
    actor.role = ActorRole::kService;
  } else {
    return std::nullopt;
  }
  return actor;
}

void CheckCourierRules(const domain::Order& before, const domain::Event& event, const RecordActor& actor,
                       const std::string& where, Report& report) {
  if (actor.attributed_log && !actor.raw) {
    report.Add("record without an orders_actor header in a log whose other records carry one" + where);
  } else if (actor.raw && !actor.actor) {
    report.Add("malformed orders_actor header \"" + *actor.raw + "\"" + where);
  }
  std::visit([&](const auto& e) { Check(before, e, actor, where, report); }, event);
}

}  // namespace orders::invariants

// Couriers in the lifecycle: Decide for accept / assign, release / unassign and decline, and Apply
// of the events they produce.

#include <gtest/gtest.h>

#include <orders/domain/decide.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>

namespace orders::domain {
namespace {

using testing::At;
using testing::kOrderId;

// A placed order moved through `statuses` (each one step of the event history), optionally with a courier.
std::optional<Order> OrderIn(std::vector<Status> statuses, const std::string& courier = "") {
  std::optional<Order> state;
  EXPECT_EQ(Apply(state, testing::Placed()), ApplyOutcome::kApplied);
  for (Status to : statuses) {
    EXPECT_EQ(Apply(state, testing::Changed(state->version + 1, state->status, to)), ApplyOutcome::kApplied);
  }
  if (!courier.empty()) {
    EXPECT_EQ(Apply(state, CourierAssigned{kOrderId, state->version + 1, At(), courier, AssignedBy::kCourier}),
              ApplyOutcome::kApplied);
  }
  return state;
}

AssignCourier Accept(const std::string& courier) { return {kOrderId, courier, AssignedBy::kCourier, std::nullopt}; }
AssignCourier AssignByStaff(const std::string& courier) {
  return {kOrderId, courier, AssignedBy::kStaff, std::nullopt};
}
UnassignCourier ReleaseBy(const std::string& courier) { return {kOrderId, courier, std::nullopt, std::nullopt}; }
UnassignCourier UnassignByStaff() { return {kOrderId, std::nullopt, std::nullopt, std::nullopt}; }
DeclineDelivery DeclineBy(const std::string& courier) { return {kOrderId, courier, std::nullopt, std::nullopt}; }

void ExpectConflict(const Decision& decision, const std::string& problem) {
  ASSERT_FALSE(decision.accepted()) << problem;
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kTransitionNotAllowed);
  EXPECT_EQ(decision.rejection->problem, problem);
}

TEST(DecideAssignCourier, ACourierAcceptsAnOpenDeliveryForItself) {
  for (Status open : {Status::kConfirmed, Status::kProcessing}) {
    const auto state = OrderIn({open});
    const auto decision = Decide(state, Accept("courier-1"), At(5));
    ASSERT_TRUE(decision.accepted());
    const auto& assigned = std::get<CourierAssigned>(decision.events.at(0));
    EXPECT_EQ(assigned.courier_id, "courier-1");
    EXPECT_EQ(assigned.by, AssignedBy::kCourier);
    EXPECT_EQ(assigned.version, state->version + 1);
    EXPECT_EQ(assigned.at, At(5));
  }
}

TEST(DecideAssignCourier, ACourierMayNotAcceptWhatIsNotOpen) {
  ExpectConflict(Decide(OrderIn({}), Accept("courier-1"), At()), "not-open-for-delivery");
  ExpectConflict(Decide(OrderIn({Status::kShipped}), Accept("courier-1"), At()), "not-open-for-delivery");
  ExpectConflict(Decide(OrderIn({Status::kCancelled}), Accept("courier-1"), At()), "order-terminal");
  ExpectConflict(Decide(OrderIn({Status::kDelivered}), Accept("courier-1"), At()), "order-terminal");
}

TEST(DecideAssignCourier, ATakenDeliveryIsAConflictButAcceptingYourOwnAgainChangesNothing) {
  const auto taken = OrderIn({Status::kConfirmed}, "courier-1");
  ExpectConflict(Decide(taken, Accept("courier-2"), At()), "delivery-taken");
  ExpectConflict(Decide(taken, AssignByStaff("courier-2"), At()), "delivery-taken");
  const auto again = Decide(taken, Accept("courier-1"), At());
  EXPECT_TRUE(again.accepted());
  EXPECT_TRUE(again.events.empty());
}

TEST(DecideAssignCourier, StaffAssignAtAnyStepBeforeTheEnd) {
  for (const auto& statuses : std::vector<std::vector<Status>>{{}, {Status::kShipped}, {Status::kOutForDelivery}}) {
    const auto decision = Decide(OrderIn(statuses), AssignByStaff("any-id"), At());
    ASSERT_TRUE(decision.accepted());
    EXPECT_EQ(std::get<CourierAssigned>(decision.events.at(0)).by, AssignedBy::kStaff);
  }
  ExpectConflict(Decide(OrderIn({Status::kCancelled}), AssignByStaff("any-id"), At()), "order-terminal");
}

TEST(DecideAssignCourier, RefusesBadIdsMissingOrdersAndStaleVersions) {
  EXPECT_EQ(Decide(OrderIn({Status::kConfirmed}), Accept("no spaces"), At()).rejection->kind, RejectionKind::kInvalid);
  EXPECT_EQ(Decide(std::nullopt, Accept("courier-1"), At()).rejection->kind, RejectionKind::kNotFound);
  auto command = Accept("courier-1");
  command.expected_version = 1;
  EXPECT_EQ(Decide(OrderIn({Status::kConfirmed}), command, At()).rejection->kind, RejectionKind::kVersionMismatch);
  command.expected_version = 2;
  EXPECT_TRUE(Decide(OrderIn({Status::kConfirmed}), command, At()).accepted());
}

TEST(DecideUnassignCourier, ACourierReleasesItsOwnDeliveryBeforePickup) {
  const auto decision = Decide(OrderIn({Status::kProcessing}, "courier-1"), ReleaseBy("courier-1"), At());
  ASSERT_TRUE(decision.accepted());
  EXPECT_EQ(std::get<CourierUnassigned>(decision.events.at(0)).courier_id, "courier-1");
  ExpectConflict(Decide(OrderIn({Status::kOutForDelivery}, "courier-1"), ReleaseBy("courier-1"), At()),
                 "delivery-picked-up");
}

TEST(DecideUnassignCourier, AnotherCouriersDeliveryIsForbiddenAndNoCourierIsAConflict) {
  const auto other = Decide(OrderIn({Status::kConfirmed}, "courier-2"), ReleaseBy("courier-1"), At());
  ASSERT_FALSE(other.accepted());
  EXPECT_EQ(other.rejection->kind, RejectionKind::kForbidden);
  ExpectConflict(Decide(OrderIn({Status::kConfirmed}), ReleaseBy("courier-1"), At()), "no-courier");
  ExpectConflict(Decide(OrderIn({Status::kConfirmed}), UnassignByStaff(), At()), "no-courier");
}

TEST(DecideUnassignCourier, StaffUnassignUntilDeliveredOrCancelled) {
  const auto picked_up = Decide(OrderIn({Status::kOutForDelivery}, "courier-1"), UnassignByStaff(), At());
  ASSERT_TRUE(picked_up.accepted());
  EXPECT_EQ(std::get<CourierUnassigned>(picked_up.events.at(0)).courier_id, "courier-1");
  auto delivered = OrderIn({Status::kOutForDelivery}, "courier-1");
  ASSERT_EQ(Apply(delivered, testing::Changed(4, Status::kOutForDelivery, Status::kDelivered)), ApplyOutcome::kApplied);
  ExpectConflict(Decide(delivered, UnassignByStaff(), At()), "order-terminal");
}

TEST(DecideDeclineDelivery, ACourierDeclinesAnOpenDeliveryOnce) {
  auto state = OrderIn({Status::kConfirmed});
  const auto decision = Decide(state, DeclineBy("courier-1"), At());
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(Apply(state, decision.events.at(0)), ApplyOutcome::kApplied);
  EXPECT_TRUE(IsOpenForDelivery(*state)) << "still open for the others";
  EXPECT_TRUE(HasDeclined(*state, "courier-1"));
  const auto again = Decide(state, DeclineBy("courier-1"), At());
  EXPECT_TRUE(again.accepted());
  EXPECT_TRUE(again.events.empty()) << "declined before: nothing to add";
  EXPECT_EQ(Decide(state, DeclineBy("courier-2"), At()).events.size(), 1u);
}

TEST(DecideDeclineDelivery, YourOwnDeliveryOrOneThatIsNotOpenIsAConflict) {
  ExpectConflict(Decide(OrderIn({Status::kConfirmed}, "courier-1"), DeclineBy("courier-1"), At()), "own-delivery");
  ExpectConflict(Decide(OrderIn({Status::kConfirmed}, "courier-2"), DeclineBy("courier-1"), At()),
                 "not-open-for-delivery");
  ExpectConflict(Decide(OrderIn({}), DeclineBy("courier-1"), At()), "not-open-for-delivery");
}

TEST(ApplyCourierEvents, AssignmentReleaseAndDeclineFoldIntoTheOrder) {
  auto state = OrderIn({Status::kConfirmed});
  ASSERT_EQ(Apply(state, CourierAssigned{kOrderId, 3, At(7), "courier-1", AssignedBy::kStaff}), ApplyOutcome::kApplied);
  EXPECT_EQ(state->courier_id, "courier-1");
  EXPECT_EQ(state->version, 3);
  EXPECT_EQ(state->updated_at, At(7));
  EXPECT_FALSE(IsOpenForDelivery(*state));
  ASSERT_EQ(Apply(state, CourierUnassigned{kOrderId, 4, At(8), "courier-1", "sick"}), ApplyOutcome::kApplied);
  EXPECT_TRUE(state->courier_id.empty());
  EXPECT_TRUE(IsOpenForDelivery(*state));
  ASSERT_EQ(Apply(state, DeliveryDeclined{kOrderId, 5, At(9), "courier-1", std::nullopt}), ApplyOutcome::kApplied);
  EXPECT_EQ(state->declined_by, std::vector<std::string>{"courier-1"});
  EXPECT_EQ(state->version, 5);
}

TEST(ApplyCourierEvents, ASecondCourierOrOneOnAFinishedOrderIsInvalid) {
  auto taken = OrderIn({Status::kConfirmed}, "courier-1");
  EXPECT_EQ(Apply(taken, CourierAssigned{kOrderId, 4, At(), "courier-2", AssignedBy::kCourier}),
            ApplyOutcome::kInvalid);
  EXPECT_EQ(taken->courier_id, "courier-1");
  auto cancelled = OrderIn({Status::kCancelled});
  EXPECT_EQ(Apply(cancelled, CourierAssigned{kOrderId, 3, At(), "courier-1", AssignedBy::kStaff}),
            ApplyOutcome::kInvalid);
  EXPECT_EQ(Apply(taken, CourierUnassigned{kOrderId, 4, At(), "courier-2", std::nullopt}), ApplyOutcome::kInvalid)
      << "only the courier who has it can be unassigned";
}

TEST(ApplyCourierEvents, TheVersionGuardHoldsForCourierEventsToo) {
  auto state = OrderIn({Status::kConfirmed}, "courier-1");
  EXPECT_EQ(Apply(state, CourierAssigned{kOrderId, 3, At(), "courier-1", AssignedBy::kCourier}),
            ApplyOutcome::kDuplicate);
  EXPECT_EQ(Apply(state, DeliveryDeclined{kOrderId, 9, At(), "courier-2", std::nullopt}), ApplyOutcome::kGap);
  std::optional<Order> none;
  EXPECT_EQ(Apply(none, CourierAssigned{kOrderId, 2, At(), "courier-1", AssignedBy::kCourier}), ApplyOutcome::kGap);
}

}  // namespace
}  // namespace orders::domain

#include <gtest/gtest.h>

#include <orders/domain/inventory.hpp>

namespace orders::domain {
namespace {

const Timestamp kNow{std::chrono::milliseconds(1764000000000)};
const std::string kSku = "sku-1";
const std::string kOrderA = "00000000-0000-4000-8000-00000000000a";
const std::string kOrderB = "00000000-0000-4000-8000-00000000000b";

// Decides and applies, as a single writer does; the decision's events must apply.
template <typename Command>
StockDecision Decided(std::optional<Stock>& state, const Command& command) {
  auto decision = Decide(state, command, kNow);
  for (const auto& event : decision.events) EXPECT_EQ(Apply(state, event), ApplyOutcome::kApplied);
  return decision;
}

std::optional<Stock> Tracked(std::int64_t on_hand) {
  std::optional<Stock> state;
  Decided(state, SetStock{kSku, on_hand});
  return state;
}

TEST(InventoryDecide, FirstStockSetCreatesTheProductAtVersionOne) {
  std::optional<Stock> state;
  auto decision = Decided(state, SetStock{kSku, 10});
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(std::get<StockSet>(decision.events[0]), (StockSet{kSku, 1, kNow, 10}));
  EXPECT_EQ(state->on_hand, 10);
  EXPECT_EQ(state->reserved, 0);
  EXPECT_EQ(Available(*state), 10);
  EXPECT_EQ(state->version, 1);
}

TEST(InventoryDecide, SetStockReplacesOnHandAndKeepsReservations) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 4});
  auto decision = Decided(state, SetStock{kSku, 20});
  EXPECT_EQ(std::get<StockSet>(decision.events[0]).version, 3);
  EXPECT_EQ(state->on_hand, 20);
  EXPECT_EQ(state->reserved, 4);
  EXPECT_EQ(Available(*state), 16);
}

TEST(InventoryDecide, SettingTheSameLevelAgainStillAppendsAVersion) {
  auto state = Tracked(10);
  auto decision = Decided(state, SetStock{kSku, 10});
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(state->version, 2);
}

TEST(InventoryDecide, SetStockRefusesNegativeHugeOnHandAndBadProductIds) {
  for (std::int64_t bad : {std::int64_t{-1}, kMaxOnHand + 1, INT64_MIN}) {
    auto decision = Decide(std::nullopt, SetStock{kSku, bad}, kNow);
    ASSERT_FALSE(decision.accepted()) << bad;
    EXPECT_EQ(decision.rejection->kind, RejectionKind::kInvalid);
    EXPECT_EQ(decision.rejection->fields.at(0).field, "onHand");
  }
  EXPECT_TRUE(Decide(std::nullopt, SetStock{kSku, 0}, kNow).accepted());
  EXPECT_TRUE(Decide(std::nullopt, SetStock{kSku, kMaxOnHand}, kNow).accepted());
  for (const std::string& bad :
       std::vector<std::string>{"", std::string(65, 'a'), "sku 1", "sku/1", "caf\xc3\xa9", ".", ".."}) {
    auto decision = Decide(std::nullopt, SetStock{bad, 1}, kNow);
    ASSERT_FALSE(decision.accepted()) << bad;
    EXPECT_EQ(decision.rejection->fields.at(0).field, "productId");
  }
  EXPECT_TRUE(Decide(std::nullopt, SetStock{std::string(64, 'a'), 1}, kNow).accepted());
  EXPECT_TRUE(Decide(std::nullopt, SetStock{"...", 1}, kNow).accepted());
}

TEST(InventoryDecide, OnHandBelowReservedIsAcceptedAndAvailableFloorsAtZero) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 8});
  auto decision = Decided(state, SetStock{kSku, 5});
  ASSERT_TRUE(decision.accepted());
  EXPECT_EQ(state->on_hand, 5);
  EXPECT_EQ(state->reserved, 8);
  EXPECT_EQ(Available(*state), 0);
  // Nothing more can be reserved until on-hand covers what is held.
  auto refused = Decided(state, ReserveStock{kSku, kOrderB, 1});
  EXPECT_EQ(std::get<ReservationRefused>(refused.events.at(0)).available, 0);
}

TEST(InventoryDecide, ReserveHoldsStockWhenEnoughIsAvailable) {
  auto state = Tracked(10);
  auto decision = Decided(state, ReserveStock{kSku, kOrderA, 10});
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(std::get<StockReserved>(decision.events[0]), (StockReserved{kSku, 2, kNow, kOrderA, 10}));
  EXPECT_EQ(state->reserved, 10);
  EXPECT_EQ(Available(*state), 0);
  EXPECT_EQ(ReservationOf(*state, kOrderA), ReservationState::kHeld);
}

TEST(InventoryDecide, ReserveIsAllOrNothingAndARefusalIsRecorded) {
  auto state = Tracked(3);
  auto decision = Decided(state, ReserveStock{kSku, kOrderA, 4});
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(std::get<ReservationRefused>(decision.events[0]), (ReservationRefused{kSku, 2, kNow, kOrderA, 4, 3}));
  EXPECT_EQ(state->reserved, 0);  // nothing partial
  EXPECT_EQ(Available(*state), 3);
  EXPECT_EQ(ReservationOf(*state, kOrderA), ReservationState::kRefused);
}

TEST(InventoryDecide, ASecondReserveForTheSameOrderIsNeverCountedTwice) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 4});
  auto again = Decided(state, ReserveStock{kSku, kOrderA, 4});
  EXPECT_TRUE(again.accepted());
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(state->reserved, 4);
  EXPECT_EQ(state->version, 2);
}

TEST(InventoryDecide, ARepeatedReserveAfterARefusalOrReleaseKeepsTheFirstAnswer) {
  auto state = Tracked(3);
  Decided(state, ReserveStock{kSku, kOrderA, 5});
  Decided(state, SetStock{kSku, 100});  // enough now, but the order was already refused
  EXPECT_TRUE(Decided(state, ReserveStock{kSku, kOrderA, 5}).events.empty());
  EXPECT_EQ(ReservationOf(*state, kOrderA), ReservationState::kRefused);

  Decided(state, ReserveStock{kSku, kOrderB, 5});
  Decided(state, ReleaseStock{kSku, kOrderB});
  EXPECT_TRUE(Decided(state, ReserveStock{kSku, kOrderB, 5}).events.empty());
  EXPECT_EQ(ReservationOf(*state, kOrderB), ReservationState::kReleased);
  EXPECT_EQ(state->reserved, 0);
}

TEST(InventoryDecide, TheSameOrderAskingForAnotherQuantityIsAConflict) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 4});
  auto decision = Decide(state, ReserveStock{kSku, kOrderA, 5}, kNow);
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kTransitionNotAllowed);
}

TEST(InventoryDecide, UntrackedProductsAreUnlimited) {
  std::optional<Stock> state;
  EXPECT_TRUE(Decided(state, ReserveStock{kSku, kOrderA, kMaxOnHand}).events.empty());
  EXPECT_TRUE(Decided(state, ReleaseStock{kSku, kOrderA}).events.empty());
  EXPECT_TRUE(Decided(state, CommitStock{kSku, kOrderA}).events.empty());
  EXPECT_FALSE(state.has_value());
}

TEST(InventoryDecide, ReserveRefusesBadQuantityAndOrderId) {
  auto state = Tracked(10);
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-3}, kMaxOnHand + 1}) {
    auto decision = Decide(state, ReserveStock{kSku, kOrderA, bad}, kNow);
    ASSERT_FALSE(decision.accepted()) << bad;
    EXPECT_EQ(decision.rejection->fields.at(0).field, "quantity");
  }
  auto decision = Decide(state, ReserveStock{kSku, "not-a-uuid", 1}, kNow);
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->fields.at(0).field, "orderId");
  EXPECT_FALSE(Decide(state, ReleaseStock{kSku, "x"}, kNow).accepted());
  EXPECT_FALSE(Decide(state, CommitStock{"", kOrderA}, kNow).accepted());
}

TEST(InventoryDecide, ReleaseGivesTheReservationBack) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 4});
  auto decision = Decided(state, ReleaseStock{kSku, kOrderA});
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(std::get<StockReleased>(decision.events[0]), (StockReleased{kSku, 3, kNow, kOrderA, 4}));
  EXPECT_EQ(state->on_hand, 10);
  EXPECT_EQ(state->reserved, 0);
  EXPECT_EQ(Available(*state), 10);
  EXPECT_EQ(ReservationOf(*state, kOrderA), ReservationState::kReleased);
}

TEST(InventoryDecide, CommitTakesTheReservationOutOfOnHand) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 4});
  auto decision = Decided(state, CommitStock{kSku, kOrderA});
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(std::get<StockCommitted>(decision.events[0]), (StockCommitted{kSku, 3, kNow, kOrderA, 4}));
  EXPECT_EQ(state->on_hand, 6);
  EXPECT_EQ(state->reserved, 0);
  EXPECT_EQ(Available(*state), 6);
  EXPECT_EQ(ReservationOf(*state, kOrderA), ReservationState::kCommitted);
}

TEST(InventoryDecide, CommitAfterOnHandWasSetBelowTheReservationFloorsOnHandAtZero) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 8});
  Decided(state, SetStock{kSku, 5});
  Decided(state, CommitStock{kSku, kOrderA});
  EXPECT_EQ(state->on_hand, 0);
  EXPECT_EQ(state->reserved, 0);
}

TEST(InventoryDecide, ReleaseOrCommitWithoutAnOpenReservationChangesNothing) {
  auto state = Tracked(10);
  EXPECT_TRUE(Decided(state, ReleaseStock{kSku, kOrderA}).events.empty());
  EXPECT_TRUE(Decided(state, CommitStock{kSku, kOrderA}).events.empty());
  Decided(state, ReserveStock{kSku, kOrderA, 2});
  Decided(state, ReleaseStock{kSku, kOrderA});
  EXPECT_TRUE(Decided(state, ReleaseStock{kSku, kOrderA}).events.empty());  // released twice: once
  EXPECT_TRUE(Decided(state, CommitStock{kSku, kOrderA}).events.empty());   // released, then delivered: nothing held
  EXPECT_EQ(state->version, 3);
  EXPECT_EQ(state->on_hand, 10);
}

TEST(InventoryAccess, OnlyStaffAndServicesSetStock) {
  EXPECT_TRUE(MaySetStock({ActorRole::kStaff, "ops"}));
  EXPECT_TRUE(MaySetStock({ActorRole::kService, "shop"}));
  EXPECT_FALSE(MaySetStock({ActorRole::kCustomer, "c-1"}));
  EXPECT_FALSE(MaySetStock({ActorRole::kCourier, "k-1"}));
}

TEST(InventoryApply, RedeliveredEventIsADuplicateAndChangesNothing) {
  auto state = Tracked(10);
  const StockEvent reserved = StockReserved{kSku, 2, kNow, kOrderA, 3};
  ASSERT_EQ(Apply(state, reserved), ApplyOutcome::kApplied);
  const Stock before = *state;
  EXPECT_EQ(Apply(state, reserved), ApplyOutcome::kDuplicate);
  EXPECT_EQ(Apply(state, StockEvent{StockSet{kSku, 1, kNow, 10}}), ApplyOutcome::kDuplicate);
  EXPECT_EQ(*state, before);
}

TEST(InventoryApply, SkippedVersionIsAGap) {
  auto state = Tracked(10);
  EXPECT_EQ(Apply(state, StockEvent{StockSet{kSku, 3, kNow, 1}}), ApplyOutcome::kGap);
  std::optional<Stock> empty;
  EXPECT_EQ(Apply(empty, StockEvent{StockSet{kSku, 2, kNow, 1}}), ApplyOutcome::kGap);
  EXPECT_EQ(Apply(empty, StockEvent{StockReserved{kSku, 2, kNow, kOrderA, 1}}), ApplyOutcome::kGap);
  EXPECT_EQ(state->version, 1);
}

TEST(InventoryApply, EventsThatBreakTheRulesAreInvalid) {
  std::optional<Stock> empty;
  EXPECT_EQ(Apply(empty, StockEvent{StockReserved{kSku, 1, kNow, kOrderA, 1}}), ApplyOutcome::kInvalid);

  auto state = Tracked(5);
  // Beyond what is available: another writer decided on stale state.
  EXPECT_EQ(Apply(state, StockEvent{StockReserved{kSku, 2, kNow, kOrderA, 6}}), ApplyOutcome::kInvalid);
  // A refusal that did not see this availability, or that was not short of it.
  EXPECT_EQ(Apply(state, StockEvent{ReservationRefused{kSku, 2, kNow, kOrderA, 9, 4}}), ApplyOutcome::kInvalid);
  EXPECT_EQ(Apply(state, StockEvent{ReservationRefused{kSku, 2, kNow, kOrderA, 5, 5}}), ApplyOutcome::kInvalid);
  // Releasing or committing what is not held, or another quantity than held.
  EXPECT_EQ(Apply(state, StockEvent{StockReleased{kSku, 2, kNow, kOrderA, 1}}), ApplyOutcome::kInvalid);
  ASSERT_EQ(Apply(state, StockEvent{StockReserved{kSku, 2, kNow, kOrderA, 2}}), ApplyOutcome::kApplied);
  EXPECT_EQ(Apply(state, StockEvent{StockCommitted{kSku, 3, kNow, kOrderA, 3}}), ApplyOutcome::kInvalid);
  // A second reservation for the same order.
  EXPECT_EQ(Apply(state, StockEvent{StockReserved{kSku, 3, kNow, kOrderA, 1}}), ApplyOutcome::kInvalid);
  EXPECT_EQ(Apply(state, StockEvent{StockSet{kSku, 3, kNow, -1}}), ApplyOutcome::kInvalid);
  EXPECT_EQ(state->version, 2);
  EXPECT_EQ(state->reserved, 2);
}

TEST(InventoryApply, ReservedAlwaysEqualsTheSumOfOpenReservations) {
  auto state = Tracked(100);
  const std::string orders[] = {kOrderA, kOrderB, "00000000-0000-4000-8000-00000000000c"};
  Decided(state, ReserveStock{kSku, orders[0], 10});
  Decided(state, ReserveStock{kSku, orders[1], 20});
  Decided(state, ReserveStock{kSku, orders[2], 30});
  Decided(state, ReleaseStock{kSku, orders[1]});
  Decided(state, CommitStock{kSku, orders[0]});
  std::int64_t sum = 0;
  for (const auto& [order, quantity] : state->reservations) sum += quantity;
  EXPECT_EQ(state->reserved, sum);
  EXPECT_EQ(state->reserved, 30);
  EXPECT_EQ(state->on_hand, 90);
  EXPECT_EQ(Available(*state), 60);
}

TEST(InventoryApply, ASettledReservationRemembersWhenItWasSettled) {
  auto state = Tracked(10);
  Decided(state, ReserveStock{kSku, kOrderA, 4});
  const Timestamp later = kNow + std::chrono::minutes(5);
  ASSERT_EQ(Apply(state, StockReleased{kSku, 3, later, kOrderA, 4}), ApplyOutcome::kApplied);
  EXPECT_EQ(state->settled.at(kOrderA), (SettledReservation{ReservationState::kReleased, 4, later}));
}

TEST(InventoryForget, SettledReservationsBeforeTheCutoffAreForgottenAndOpenOnesStay) {
  auto state = Tracked(100);
  Decided(state, ReserveStock{kSku, kOrderA, 10});  // released at kNow
  Decided(state, ReleaseStock{kSku, kOrderA});
  const std::string open = "00000000-0000-4000-8000-00000000000c";
  Decided(state, ReserveStock{kSku, open, 5});
  const Timestamp later = kNow + std::chrono::hours(1);
  ASSERT_EQ(Apply(state, ReservationRefused{kSku, 5, later, kOrderB, 500, 95}), ApplyOutcome::kApplied);

  EXPECT_EQ(ForgetSettledBefore(*state, kNow), 0u) << "settled at the cutoff itself: kept";
  EXPECT_EQ(ForgetSettledBefore(*state, kNow + std::chrono::milliseconds(1)), 1u);
  EXPECT_EQ(ReservationOf(*state, kOrderA), ReservationState::kNone);
  EXPECT_EQ(ReservationOf(*state, kOrderB), ReservationState::kRefused);
  EXPECT_EQ(ReservationOf(*state, open), ReservationState::kHeld);
  EXPECT_EQ(state->reserved, 5);

  EXPECT_EQ(ForgetSettledBefore(*state, later + std::chrono::hours(24)), 1u);
  EXPECT_TRUE(state->settled.empty());
  EXPECT_EQ(state->reservations.size(), 1u) << "an open reservation is never forgotten";
}

}  // namespace
}  // namespace orders::domain

#include <gtest/gtest.h>

#include <orders/domain/decide.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>

namespace orders::domain {
namespace {

using testing::At;
using testing::ChangeStatusCommand;
using testing::PlaceOrderCommand;

std::optional<Order> Replay(const std::vector<Event>& events) {
  std::optional<Order> state;
  for (const auto& event : events) EXPECT_EQ(Apply(state, event), ApplyOutcome::kApplied);
  return state;
}

std::optional<Order> PlacedOrder() { return Replay({testing::Placed()}); }

TEST(DecidePlaceOrder, NewOrderYieldsPlacedEventWithDerivedTotal) {
  const auto decision = Decide(std::nullopt, PlaceOrderCommand(), At());
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(decision.events.size(), 1u);
  const auto& placed = std::get<OrderPlaced>(decision.events[0]);
  EXPECT_EQ(placed.version, 1);
  EXPECT_EQ(placed.total_cents, 2 * 1250 + 500);
  EXPECT_EQ(placed.at, At());
}

TEST(DecidePlaceOrder, ExistingOrderIdIsAConflict) {
  const auto decision = Decide(PlacedOrder(), PlaceOrderCommand(), At());
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kAlreadyExists);
}

TEST(DecidePlaceOrder, InvalidFieldsAreAllReported) {
  PlaceOrder command = PlaceOrderCommand();
  command.customer_id = "bad id!";
  command.currency = "usd";
  command.items[1].quantity = 0;
  const auto decision = Decide(std::nullopt, command, At());
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kInvalid);
  ASSERT_EQ(decision.rejection->fields.size(), 3u);
  EXPECT_EQ(decision.rejection->fields[0].field, "customerId");
  EXPECT_EQ(decision.rejection->fields[1].field, "currency");
  EXPECT_EQ(decision.rejection->fields[2].field, "items/1/quantity");
}

TEST(DecideChangeStatus, UnknownOrderIsNotFound) {
  const auto decision = Decide(std::nullopt, ChangeStatusCommand(Status::kConfirmed), At());
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kNotFound);
}

TEST(DecideChangeStatus, ForwardMoveYieldsNextVersion) {
  const auto decision = Decide(PlacedOrder(), ChangeStatusCommand(Status::kShipped), At(5));
  ASSERT_TRUE(decision.accepted());
  const auto& changed = std::get<StatusChanged>(decision.events.at(0));
  EXPECT_EQ(changed.version, 2);
  EXPECT_EQ(changed.from, Status::kPending);
  EXPECT_EQ(changed.to, Status::kShipped);
}

TEST(DecideChangeStatus, SameStatusIsAnIdempotentNoOp) {
  const auto decision = Decide(PlacedOrder(), ChangeStatusCommand(Status::kPending), At());
  EXPECT_TRUE(decision.accepted());
  EXPECT_TRUE(decision.events.empty());
}

TEST(DecideChangeStatus, BackwardMoveIsRefused) {
  const auto shipped = Replay({testing::Placed(), testing::Changed(2, Status::kPending, Status::kShipped)});
  const auto decision = Decide(shipped, ChangeStatusCommand(Status::kConfirmed), At());
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kTransitionNotAllowed);
}

TEST(DecideChangeStatus, CancelAfterShippingIsRefused) {
  const auto shipped = Replay({testing::Placed(), testing::Changed(2, Status::kPending, Status::kShipped)});
  const auto decision = Decide(shipped, ChangeStatusCommand(Status::kCancelled), At());
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kTransitionNotAllowed);
}

TEST(DecideChangeStatus, IfMatchWithOtherVersionIsAMismatch) {
  auto command = ChangeStatusCommand(Status::kConfirmed);
  command.expected_version = 2;
  const auto decision = Decide(PlacedOrder(), command, At());
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->kind, RejectionKind::kVersionMismatch);
}

TEST(DecideChangeStatus, IfMatchWithCurrentVersionIsAccepted) {
  auto command = ChangeStatusCommand(Status::kConfirmed);
  command.expected_version = 1;
  EXPECT_TRUE(Decide(PlacedOrder(), command, At()).accepted());
}

TEST(DecideChangeStatus, ReasonLongerThan280CharactersIsInvalid) {
  auto command = ChangeStatusCommand(Status::kCancelled);
  command.reason = std::string(281, 'x');
  const auto decision = Decide(PlacedOrder(), command, At());
  ASSERT_FALSE(decision.accepted());
  EXPECT_EQ(decision.rejection->fields.at(0).field, "reason");
}

TEST(DecideChangeStatus, ReasonLengthCountsCharactersNotBytes) {
  auto command = ChangeStatusCommand(Status::kCancelled);
  command.reason.emplace();
  for (int i = 0; i < 280; ++i) *command.reason += "\xC3\xA9";  // é, two bytes
  EXPECT_TRUE(Decide(PlacedOrder(), command, At()).accepted());
}

}  // namespace
}  // namespace orders::domain

#include <gtest/gtest.h>

#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>

namespace orders::domain {
namespace {

using testing::Changed;
using testing::Placed;

TEST(Apply, PlacedCreatesPendingOrderAtVersionOne) {
  std::optional<Order> state;
  ASSERT_EQ(Apply(state, Placed()), ApplyOutcome::kApplied);
  EXPECT_EQ(state->status, Status::kPending);
  EXPECT_EQ(state->version, 1);
  EXPECT_EQ(state->total_cents, 3000);
  EXPECT_EQ(state->created_at, state->updated_at);
}

TEST(Apply, StatusChangeMovesStatusVersionAndUpdatedAt) {
  std::optional<Order> state;
  Apply(state, Placed());
  ASSERT_EQ(Apply(state, Changed(2, Status::kPending, Status::kConfirmed)), ApplyOutcome::kApplied);
  EXPECT_EQ(state->status, Status::kConfirmed);
  EXPECT_EQ(state->version, 2);
  EXPECT_EQ(state->updated_at, testing::At(1764000001000));
}

TEST(Apply, RedeliveredEventIsADuplicateAndChangesNothing) {
  std::optional<Order> state;
  Apply(state, Placed());
  Apply(state, Changed(2, Status::kPending, Status::kConfirmed));
  const Order before = *state;
  EXPECT_EQ(Apply(state, Changed(2, Status::kPending, Status::kConfirmed)), ApplyOutcome::kDuplicate);
  EXPECT_EQ(Apply(state, Placed()), ApplyOutcome::kDuplicate);
  EXPECT_EQ(*state, before);
}

TEST(Apply, SkippedVersionIsAGap) {
  std::optional<Order> state;
  Apply(state, Placed());
  EXPECT_EQ(Apply(state, Changed(3, Status::kPending, Status::kConfirmed)), ApplyOutcome::kGap);
  EXPECT_EQ(state->version, 1);
}

TEST(Apply, StatusChangeBeforePlacementIsAGap) {
  std::optional<Order> state;
  EXPECT_EQ(Apply(state, Changed(2, Status::kPending, Status::kConfirmed)), ApplyOutcome::kGap);
  EXPECT_FALSE(state.has_value());
}

TEST(Apply, ChangeFromAnotherStatusThanTheCurrentIsInvalid) {
  std::optional<Order> state;
  Apply(state, Placed());
  EXPECT_EQ(Apply(state, Changed(2, Status::kConfirmed, Status::kShipped)), ApplyOutcome::kInvalid);
}

TEST(Apply, ForbiddenTransitionInTheLogIsInvalid) {
  std::optional<Order> state;
  Apply(state, Placed());
  Apply(state, Changed(2, Status::kPending, Status::kDelivered));
  EXPECT_EQ(Apply(state, Changed(3, Status::kDelivered, Status::kCancelled)), ApplyOutcome::kInvalid);
  EXPECT_EQ(state->status, Status::kDelivered);
}

}  // namespace
}  // namespace orders::domain

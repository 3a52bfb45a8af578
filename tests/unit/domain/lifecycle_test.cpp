#include <gtest/gtest.h>

#include <orders/domain/status.hpp>

namespace orders::domain {
namespace {

// The contract's table, written out by hand so the test does not restate the
// implementation's rule: every (from, to) pair, allowed or not.
bool Expected(Status from, Status to) {
  using S = Status;
  switch (from) {
    case S::kPending:
      return to != S::kPending;
    case S::kConfirmed:
      return to == S::kProcessing || to == S::kShipped || to == S::kOutForDelivery || to == S::kDelivered ||
             to == S::kCancelled;
    case S::kProcessing:
      return to == S::kShipped || to == S::kOutForDelivery || to == S::kDelivered || to == S::kCancelled;
    case S::kShipped:
      return to == S::kOutForDelivery || to == S::kDelivered;
    case S::kOutForDelivery:
      return to == S::kDelivered;
    case S::kDelivered:
    case S::kCancelled:
      return false;
  }
  return false;
}

TEST(Lifecycle, EveryPairOfStatusesFollowsTheContractTable) {
  int allowed = 0;
  for (Status from : kAllStatuses) {
    for (Status to : kAllStatuses) {
      EXPECT_EQ(IsTransitionAllowed(from, to), Expected(from, to)) << ToString(from) << " -> " << ToString(to);
      allowed += IsTransitionAllowed(from, to) ? 1 : 0;
    }
  }
  EXPECT_EQ(allowed, 6 + 5 + 4 + 2 + 1);
}

TEST(Lifecycle, CancelIsOnlyReachableBeforeShipping) {
  EXPECT_TRUE(IsTransitionAllowed(Status::kPending, Status::kCancelled));
  EXPECT_TRUE(IsTransitionAllowed(Status::kProcessing, Status::kCancelled));
  EXPECT_FALSE(IsTransitionAllowed(Status::kShipped, Status::kCancelled));
  EXPECT_FALSE(IsTransitionAllowed(Status::kOutForDelivery, Status::kCancelled));
}

TEST(Lifecycle, TerminalStatusesAreDeliveredAndCancelled) {
  for (Status status : kAllStatuses) {
    EXPECT_EQ(IsTerminal(status), status == Status::kDelivered || status == Status::kCancelled);
  }
}

TEST(Lifecycle, StatusNamesRoundTrip) {
  for (Status status : kAllStatuses) EXPECT_EQ(ParseStatus(ToString(status)), status);
  EXPECT_EQ(ParseStatus("Pending"), std::nullopt);
  EXPECT_EQ(ParseStatus(""), std::nullopt);
  EXPECT_EQ(ParseStatus("out-for-delivery"), std::nullopt);
}

}  // namespace
}  // namespace orders::domain

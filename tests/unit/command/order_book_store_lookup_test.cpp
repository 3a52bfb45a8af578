// OrderBook::Apply on an order it does not hold: the state store is read
// outside the book's lock, and what happened to the order meanwhile wins.
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include <orders/command/order_book.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using domain::Status;
using testing::Changed;
using testing::Placed;

// The order after its placement and `changes` status changes (pending -> confirmed -> processing).
domain::Order OrderAt(int changes) {
  std::optional<domain::Order> state;
  domain::Apply(state, Placed("order-1"));
  if (changes >= 1) domain::Apply(state, Changed(2, Status::kPending, Status::kConfirmed, "order-1"));
  if (changes >= 2) domain::Apply(state, Changed(3, Status::kConfirmed, Status::kProcessing, "order-1"));
  return *state;
}

TEST(OrderBookStoreLookup, TheStoreIsReadWithoutHoldingTheBook) {
  OrderBook book;
  book.SetStoredOrderLookup([&book](const std::string&) -> std::optional<domain::Order> {
    // Another thread uses the book while the store is read: it must not wait for this Apply.
    auto other = std::async(std::launch::async, [&book] { return book.OrderCount(); });
    EXPECT_EQ(other.wait_for(2s), std::future_status::ready) << "the book's lock is held during the store read";
    return std::nullopt;
  });
  EXPECT_EQ(book.Apply(Placed("order-1"), {}), domain::ApplyOutcome::kApplied);
  EXPECT_EQ(book.Find("order-1")->version, 1);
}

TEST(OrderBookStoreLookup, AReplayedPlacementOfAnEvictedOrderDoesNotStartItAgain) {
  OrderBook book;
  const auto stored = OrderAt(2);
  book.SetStoredOrderLookup([&](const std::string&) -> std::optional<domain::Order> { return stored; });
  EXPECT_NE(book.Apply(Placed("order-1"), {}), domain::ApplyOutcome::kApplied);
  EXPECT_EQ(book.Find("order-1")->version, 3);
  EXPECT_EQ(book.Find("order-1")->status, Status::kProcessing);
}

TEST(OrderBookStoreLookup, AnOrderBroughtInDuringTheReadIsFoldedOntoAsItIsInMemory) {
  OrderBook book;
  int reads = 0;
  book.SetStoredOrderLookup([&](const std::string&) -> std::optional<domain::Order> {
    ++reads;
    book.Restore(OrderAt(1));  // meanwhile another event brought the order in, at version 2
    return OrderAt(0);         // what the store said before that: version 1
  });
  EXPECT_EQ(book.Apply(Changed(3, Status::kConfirmed, Status::kProcessing, "order-1"), {}),
            domain::ApplyOutcome::kApplied);
  EXPECT_EQ(book.Find("order-1")->version, 3);
  EXPECT_EQ(reads, 1);
}

TEST(OrderBookStoreLookup, AnEvictionDuringTheReadMeansTheStoreIsReadAgain) {
  OrderBook book;
  int reads = 0;
  book.SetStoredOrderLookup([&](const std::string&) -> std::optional<domain::Order> {
    if (++reads == 1) {
      // Meanwhile the order came in at version 2, was stored and left memory again: the read is stale.
      book.Restore(OrderAt(1));
      EXPECT_EQ(book.Evict("order-1", 2), OrderBook::Eviction::kEvicted);
      return OrderAt(0);
    }
    return OrderAt(1);
  });
  EXPECT_EQ(book.Apply(Changed(3, Status::kConfirmed, Status::kProcessing, "order-1"), {}),
            domain::ApplyOutcome::kApplied);
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(book.InMemory("order-1")->version, 3);
}

}  // namespace
}  // namespace orders::command

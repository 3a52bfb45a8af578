// The order cache's byte budget: what an order is charged, what eviction
// gives back, and which orders go first.
#include <gtest/gtest.h>

#include <orders/notifier/order_cache.hpp>
#include <orders/notifier/order_footprint.hpp>
#include <orders/testing/builders.hpp>

#include "cache_budget.hpp"

namespace orders::notifier {
namespace {

using domain::Status;
using testing::At;
using testing::Changed;
using testing::Placed;

domain::CourierAssigned Assigned(std::int64_t version, const std::string& courier, const std::string& id) {
  return {id, version, At(1764000005000 + version), courier, domain::AssignedBy::kCourier};
}

TEST(OrderFootprint, HeapBlocksAreSizedLikeMallocs) {
  EXPECT_EQ(HeapBlock(0), 0u);
  EXPECT_EQ(HeapBlock(1), 32u) << "the smallest chunk";
  EXPECT_EQ(HeapBlock(24), 32u);
  EXPECT_EQ(HeapBlock(25), 48u) << "8 bytes of header, rounded up to 16";
  EXPECT_EQ(HeapBlock(100), 112u);
}

TEST(OrderFootprint, AShortStringCostsNothingBeyondItsObjectALongOneItsBlock) {
  EXPECT_EQ(HeapBytes(std::string("USD")), 0u);
  const std::string id = testing::kOrderId;  // 36 characters: past the small-string buffer
  EXPECT_EQ(HeapBytes(id), HeapBlock(id.capacity() + 1));
  std::string shrunk(1000, 'x');
  shrunk.resize(10);
  EXPECT_EQ(HeapBytes(shrunk), HeapBlock(shrunk.capacity() + 1)) << "a string that shrank keeps its block";
}

TEST(OrderFootprint, AVectorIsChargedByCapacityAndWhatItsElementsHold) {
  std::vector<domain::LineItem> items;
  items.reserve(10);
  items.push_back({std::string(100, 'p'), 1, 100});
  EXPECT_EQ(HeapBytes(items), HeapBlock(10 * sizeof(domain::LineItem)) + HeapBytes(items[0].product_id));
}

TEST(OrderFootprint, AnEventIsChargedItsStringsAndItems) {
  auto small = Placed();
  auto large = Placed();
  large.customer_id = std::string(64, 'c');
  for (int i = 0; i < 20; ++i) large.items.push_back({std::string(40, 'p'), 1, 100});
  EXPECT_GT(HeapBytes(domain::Event(large)), HeapBytes(domain::Event(small)) + 20 * sizeof(domain::LineItem));
}

TEST(OrderCacheBytes, EveryEventAddsToWhatTheCacheHolds) {
  OrderCache cache;
  domain::ApplyOutcome outcome;
  const std::size_t empty = cache.bytes();
  cache.Apply(Placed(CacheTestId(1)), outcome);
  const std::size_t placed = cache.bytes();
  EXPECT_GT(placed, empty + sizeof(CachedOrder)) << "at least the order's own node";
  auto cancelled = Changed(2, Status::kPending, Status::kCancelled, CacheTestId(1));
  cancelled.reason = std::string(200, 'r');
  cache.Apply(cancelled, outcome);
  EXPECT_GT(cache.bytes(), placed + sizeof(domain::Event) + 200) << "the event, its reason and the finished index";
}

TEST(OrderCacheBytes, ALongHistoryKeepsItsEventsWithinTheirBound) {
  OrderCache cache;
  domain::ApplyOutcome outcome;
  const std::string id = CacheTestId(1);
  cache.Apply(Placed(id), outcome);
  cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, id), outcome);
  for (int version = 3; version < 80; ++version) {
    const auto courier = "rider-" + std::to_string(version % 2);
    if (version % 2 == 1) {
      cache.Apply(Assigned(version, courier, id), outcome);
    } else {
      cache.Apply(domain::CourierUnassigned{id, version, At(1764000005000 + version), "rider-1", std::nullopt},
                  outcome);
    }
    ASSERT_EQ(outcome, domain::ApplyOutcome::kApplied) << version;
  }
  const auto* cached = cache.Find(id);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(cached->events.size(), 32u);
  EXPECT_EQ(cached->events.capacity(), 32u) << "the oldest goes before the newest comes: no doubling past the bound";
}

TEST(OrderCacheBytes, EvictsTheOldestOrdersPastItsBudget) {
  OrderCache cache(RoomForPlacements(2));
  domain::ApplyOutcome outcome;
  cache.Apply(Placed(CacheTestId(1), At(1)), outcome);
  cache.Apply(Placed(CacheTestId(2), At(2)), outcome);
  EXPECT_EQ(cache.evictions(), 0u);
  cache.Apply(Placed(CacheTestId(3), At(3)), outcome);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find(CacheTestId(1)), nullptr);
  EXPECT_TRUE(cache.evicted_any());
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_LE(cache.bytes(), cache.max_bytes());
  ASSERT_EQ(cache.Newest(5).size(), 2u);
  EXPECT_EQ(cache.Newest(5)[0]->order_id, CacheTestId(3));
}

TEST(OrderCacheBytes, EvictsFinishedOrdersBeforeLiveOnes) {
  OrderCache cache(RoomForPlacements(2));
  domain::ApplyOutcome outcome;
  const std::string live = CacheTestId(1);
  const std::string done = CacheTestId(2);
  cache.Apply(Placed(live, At(1)), outcome);
  cache.Apply(Placed(done, At(2)), outcome);
  cache.Apply(Changed(2, Status::kPending, Status::kDelivered, done, At(3)), outcome);
  cache.Apply(Placed(CacheTestId(3), At(4)), outcome);
  EXPECT_NE(cache.Find(live), nullptr) << "the oldest order is still live: it stays";
  EXPECT_EQ(cache.Find(done), nullptr) << "the delivered one goes first";
  EXPECT_NE(cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, live, At(5)), outcome), nullptr)
      << "and keeps getting updates";
}

TEST(OrderCacheBytes, NeverDropsTheOrderAnEventJustChanged) {
  OrderCache cache(RoomForPlacements(1));
  domain::ApplyOutcome outcome;
  const std::string id = CacheTestId(1);
  cache.Apply(Placed(id, At(1)), outcome);
  const CachedOrder* cached = cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, id), outcome);
  for (int version = 3; version < 13; ++version) {
    if (version % 2 == 1) {
      cached = cache.Apply(Assigned(version, "rider-1", id), outcome);
    } else {
      cached = cache.Apply(
          domain::CourierUnassigned{id, version, At(1764000005000 + version), "rider-1", std::string(300, 'r')},
          outcome);
    }
    ASSERT_EQ(outcome, domain::ApplyOutcome::kApplied) << version;
  }
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(cache.Find(id), cached) << "alone and over budget, it stays until another order needs the room";
  EXPECT_GT(cache.bytes(), cache.max_bytes());
  cache.Apply(Placed(CacheTestId(2), At(2)), outcome);
  EXPECT_EQ(cache.Find(id), nullptr);
  EXPECT_NE(cache.Find(CacheTestId(2)), nullptr);
}

TEST(OrderCacheBytes, DroppingAnOrderGivesBackEverythingItWasCharged) {
  // A finished order with a courier, its own customer and several events, dropped for two
  // placements: what is left is charged exactly what the two placements alone are.
  OrderCache bounded(RoomForPlacements(2));
  OrderCache alone;
  domain::ApplyOutcome outcome;
  const std::string gone = CacheTestId(1);
  auto placed = Placed(gone, At(1));
  placed.customer_id = std::string(40, 'c');
  bounded.Apply(placed, outcome);
  bounded.Apply(Changed(2, Status::kPending, Status::kConfirmed, gone), outcome);
  bounded.Apply(Assigned(3, std::string(30, 'r'), gone), outcome);
  bounded.Apply(Changed(4, Status::kConfirmed, Status::kDelivered, gone), outcome);
  for (auto* cache : {&bounded, &alone}) {
    cache->Apply(Placed(CacheTestId(2), At(2)), outcome);
    cache->Apply(Placed(CacheTestId(3), At(3)), outcome);
  }
  ASSERT_EQ(bounded.Find(gone), nullptr);
  EXPECT_EQ(bounded.evictions(), 1u);
  EXPECT_EQ(bounded.charged_bytes(), alone.charged_bytes());
  EXPECT_TRUE(bounded.NewestOfCourier(std::string(30, 'r'), 10).empty());
  EXPECT_TRUE(bounded.NewestOfCustomer(std::string(40, 'c'), 10).empty());
}

TEST(OrderCacheBytes, StaysWithinItsBudgetWhateverComes) {
  OrderCache cache({64 * 1024});
  domain::ApplyOutcome outcome;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = CacheTestId(i);
    auto placed = Placed(id, At(i));
    placed.customer_id = "customer-" + std::to_string(i % 37);
    cache.Apply(placed, outcome);
    if (i % 3 == 0) cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, id), outcome);
    if (i % 15 == 0) cache.Apply(Assigned(3, "rider-" + std::to_string(i % 11), id), outcome);
    ASSERT_LE(cache.bytes(), cache.max_bytes()) << "after order " << i;
  }
  EXPECT_GT(cache.evictions(), 1000u);
  EXPECT_GT(cache.size(), 10u) << "and holds what fits";
  EXPECT_NE(cache.Find(CacheTestId(1999)), nullptr) << "the newest is held";
}

}  // namespace
}  // namespace orders::notifier

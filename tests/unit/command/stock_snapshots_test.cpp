// The inventory fold kept in a state store (the in-memory adapter): what a
// batch writes, what a restart loads (every product, exactly: a later
// reservation is decided as without the restart), and stores that are not used.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <orders/command/in_memory_state_store.hpp>
#include <orders/command/stock_snapshots.hpp>
#include <orders/command/stored_stock_codec.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using domain::ReservationState;

const domain::Timestamp kStart{std::chrono::milliseconds(1764000000000)};
// Order ids are UUIDs (a reservation for anything else is refused before it is decided).
const std::string kOrderA = "00000000-0000-4000-8000-00000000000a";
const std::string kOrderB = "00000000-0000-4000-8000-00000000000b";
const std::string kOrderC = "00000000-0000-4000-8000-00000000000c";
const std::string kOrderD = "00000000-0000-4000-8000-00000000000d";
const std::string kOrderE = "00000000-0000-4000-8000-00000000000e";
const std::string kOrderX = "00000000-0000-4000-8000-0000000000ff";

class StockSnapshotsTest : public ::testing::Test {
 protected:
  struct Instance {
    explicit Instance(StockSnapshotsTest& test)
        : snapshots(test.store_, book, {"inventory.events", 1000ms, 20'000}, metrics, [] { return kStart; }) {}
    platform::MetricsRegistry metrics;
    StockBook book;
    StockSnapshots snapshots;
  };

  // An event as the follower folds it from the log.
  static void Fold(Instance& instance, const domain::StockEvent& event) {
    instance.book.Apply(event);
    instance.snapshots.Folded(domain::ProductIdOf(event), std::nullopt);
  }
  // sku-1: 10 on hand; order-a holds 3, order-b was refused 20, order-c held 2 and released them.
  static void History(Instance& instance) {
    Fold(instance, domain::StockSet{"sku-1", 1, kStart, 10});
    Fold(instance, domain::StockReserved{"sku-1", 2, kStart + 1s, kOrderA, 3});
    Fold(instance, domain::ReservationRefused{"sku-1", 3, kStart + 2s, kOrderB, 20, 7});
    Fold(instance, domain::StockReserved{"sku-1", 4, kStart + 3s, kOrderC, 2});
    Fold(instance, domain::StockReleased{"sku-1", 5, kStart + 4s, kOrderC, 2});
    Fold(instance, domain::StockSet{"sku-2", 1, kStart, 0});
  }
  static domain::StockDecision Reserve(Instance& instance, const std::string& order_id, std::int64_t quantity) {
    return instance.book.Decide("sku-1", [&](const std::optional<domain::Stock>& state) {
      return domain::Decide(state, domain::ReserveStock{"sku-1", order_id, quantity}, kStart + 10s);
    });
  }

  InMemoryStateStore store_;
};

TEST_F(StockSnapshotsTest, ABatchWritesTheChangedProductsAndThePositionsRead) {
  Instance first(*this);
  ASSERT_EQ(first.snapshots.Resume({{0, 0}, {1, 0}}), std::nullopt);  // an empty store: from the beginning
  History(first);
  // A reservation of a product never set folds nothing: there is no stock to store.
  Fold(first, domain::StockReserved{"untracked", 1, kStart, kOrderX, 1});
  first.snapshots.Flush({{0, 6}, {1, 1}});

  EXPECT_EQ(DecodeStoredStock(*store_.State(StateStream::kInventory, "sku-1")), first.book.Find("sku-1"));
  EXPECT_EQ(store_.State(StateStream::kInventory, "untracked"), std::nullopt);
  EXPECT_EQ(store_.Checkpoint(StateStream::kInventory), (StateCheckpoint{"inventory.events", {6, 1}, kStart}));
  EXPECT_EQ(store_.Checkpoint(StateStream::kOrders), std::nullopt);
}

TEST_F(StockSnapshotsTest, ARestartLoadsEveryProductExactlyAndResumesAtTheCheckpoint) {
  {
    Instance first(*this);
    first.snapshots.Resume({{0, 0}, {1, 0}});
    History(first);
    first.snapshots.Flush({{0, 6}, {1, 1}});
  }
  Instance after(*this);
  const auto start = after.snapshots.Resume({{0, 9}, {1, 1}}, {{0, 0}, {1, 0}});
  ASSERT_TRUE(start);
  EXPECT_EQ(*start, (platform::PartitionOffsets{{0, 6}, {1, 1}}));
  EXPECT_TRUE(after.snapshots.Resumed());
  EXPECT_EQ(after.snapshots.report().products_loaded, 2u);
  EXPECT_EQ(after.snapshots.report().records_behind, 3);

  const auto level = after.book.Level("sku-1");
  ASSERT_TRUE(level);
  EXPECT_EQ(level->on_hand, 10);
  EXPECT_EQ(level->reserved, 3);
  EXPECT_EQ(domain::Available(*level), 7);
  EXPECT_EQ(level->version, 5);
  EXPECT_EQ(after.book.ReservationOf("sku-1", kOrderA), ReservationState::kHeld);
  EXPECT_EQ(after.book.ReservationOf("sku-1", kOrderB), ReservationState::kRefused);
  EXPECT_EQ(after.book.ReservationOf("sku-1", kOrderC), ReservationState::kReleased);
  EXPECT_EQ(after.book.Level("sku-2")->on_hand, 0);

  // Decided as without the restart: repeats append nothing, a new one gets the next version, too much is refused.
  const auto held_again = Reserve(after, kOrderA, 3);
  EXPECT_TRUE(held_again.accepted());
  EXPECT_TRUE(held_again.events.empty());
  const auto released_again = Reserve(after, kOrderC, 2);
  EXPECT_TRUE(released_again.accepted());
  EXPECT_TRUE(released_again.events.empty());
  EXPECT_FALSE(Reserve(after, kOrderB, 5).accepted()) << "order-b asked for 20 before the restart";
  const auto fits = Reserve(after, kOrderD, 7);
  ASSERT_EQ(fits.events.size(), 1u);
  EXPECT_EQ(std::get<domain::StockReserved>(fits.events[0]).version, 6);
  const auto too_much = Reserve(after, kOrderE, 8);
  ASSERT_EQ(too_much.events.size(), 1u);
  EXPECT_EQ(std::get<domain::ReservationRefused>(too_much.events[0]).available, 7);

  // A record of the tail the stored state already holds (appended and folded at its acknowledgement,
  // after the checkpoint) is folded once.
  EXPECT_EQ(after.book.Apply(domain::StockReleased{"sku-1", 5, kStart + 4s, kOrderC, 2}),
            domain::ApplyOutcome::kDuplicate);
}

TEST_F(StockSnapshotsTest, ACheckpointBeforeThePartitionsFirstOffsetIsDiscardedAndTheTopicReplayed) {
  {
    Instance first(*this);
    first.snapshots.Resume({{0, 0}});
    History(first);
    first.snapshots.Flush({{0, 6}});
  }
  Instance after(*this);
  EXPECT_EQ(after.snapshots.Resume({{0, 20}}, {{0, 8}}), std::nullopt);
  EXPECT_FALSE(after.snapshots.Resumed());
  EXPECT_NE(after.snapshots.report().discard_reason.find("first offset 8"), std::string::npos)
      << after.snapshots.report().discard_reason;
  EXPECT_EQ(after.book.ProductCount(), 0u);
  EXPECT_EQ(store_.Checkpoint(StateStream::kInventory), std::nullopt);
  EXPECT_EQ(store_.State(StateStream::kInventory, "sku-1"), std::nullopt);
}

TEST_F(StockSnapshotsTest, AStoreOfAnotherTopicOrPartitionCountIsDiscarded) {
  {
    Instance first(*this);
    first.snapshots.Resume({{0, 0}});
    History(first);
    first.snapshots.Flush({{0, 6}});
  }
  Instance after(*this);
  EXPECT_EQ(after.snapshots.Resume({{0, 6}, {1, 0}}), std::nullopt);
  EXPECT_NE(after.snapshots.report().discard_reason.find("partitions"), std::string::npos);
  EXPECT_EQ(after.book.ProductCount(), 0u);
}

TEST_F(StockSnapshotsTest, AnUnreadableStockDiscardsTheWholeInventoryStoreButNotTheOrders) {
  StateBatch orders;
  orders.stream = StateStream::kOrders;
  orders.states = {{"order-1", "an order"}};
  orders.checkpoint = {"orders.events", {1}, kStart};
  ASSERT_TRUE(store_.Write(orders));
  StateBatch stocks;
  stocks.stream = StateStream::kInventory;
  stocks.states = {{"sku-1", EncodeStoredStock(domain::Stock{"sku-1", 5, 0, {}, {}, 1, kStart})},
                   {"sku-2", "not a stock"}};
  stocks.resident = {{"sku-1", std::nullopt}, {"sku-2", std::nullopt}};
  stocks.checkpoint = {"inventory.events", {2}, kStart};
  ASSERT_TRUE(store_.Write(stocks));

  Instance after(*this);
  EXPECT_EQ(after.snapshots.Resume({{0, 2}}), std::nullopt);
  EXPECT_NE(after.snapshots.report().discard_reason.find("cannot be read"), std::string::npos);
  EXPECT_EQ(after.book.ProductCount(), 0u) << "nothing of a refused store is used";
  EXPECT_EQ(store_.State(StateStream::kInventory, "sku-1"), std::nullopt);
  EXPECT_EQ(store_.State(StateStream::kOrders, "order-1"), "an order");
}

TEST(StoredStockCodec, AStockReadsBackWholeAndADamagedOneIsRefused) {
  domain::Stock stock{"sku-1", 40, 5, {{"order-1", 2}, {"order-2", 3}}, {}, 9, kStart};
  stock.settled = {{"order-0", {ReservationState::kCommitted, 1, kStart - 2s}}};
  EXPECT_EQ(DecodeStoredStock(EncodeStoredStock(stock)), stock);

  auto wrong_sum = stock;
  wrong_sum.reserved = 4;  // not the sum of the open reservations
  EXPECT_EQ(DecodeStoredStock(EncodeStoredStock(wrong_sum)), std::nullopt);
  const auto bytes = EncodeStoredStock(stock);
  EXPECT_EQ(DecodeStoredStock(bytes.substr(0, bytes.size() - 3)), std::nullopt);
  EXPECT_EQ(DecodeStoredStock(""), std::nullopt);
}

TEST(StoredStockCodec, AStockStoredBeforeSettleTimesReadsAsSettledAtItsLastEvent) {
  const nlohmann::json format_1{{"storeFormat", 1},
                                {"productId", "sku-1"},
                                {"onHand", 40},
                                {"reserved", 2},
                                {"version", 9},
                                {"updatedAt", kStart.time_since_epoch().count()},
                                {"reservations", nlohmann::json::array({nlohmann::json::array({"order-1", 2})})},
                                {"settled", nlohmann::json::array({nlohmann::json::array({"order-0", 4, 1})})}};
  const auto bytes = nlohmann::json::to_msgpack(format_1);
  const auto stock = DecodeStoredStock({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->settled.at("order-0"), (domain::SettledReservation{ReservationState::kCommitted, 1, kStart}));
  EXPECT_EQ(stock->reservations.at("order-1"), 2);
}

}  // namespace
}  // namespace orders::command

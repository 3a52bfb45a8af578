// The state store port's contract, run against both adapters: the in-memory
// one the unit tests use and RocksDB (in a fresh temporary directory).
#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <orders/command/in_memory_state_store.hpp>
#include <orders/command/rocksdb_state_store.hpp>
#include <orders/command/stored_stock_codec.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;

domain::Timestamp At(std::int64_t millis) { return domain::Timestamp(std::chrono::milliseconds(millis)); }

// A directory of its own for each store, removed with it.
class TempDirectory {
 public:
  TempDirectory() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("orders-state-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct InMemoryAdapter {
  std::unique_ptr<CommandStateStore> Make() { return std::make_unique<InMemoryStateStore>(); }
};

struct RocksDbAdapter {
  TempDirectory directory;
  std::unique_ptr<CommandStateStore> Make() {
    auto opened = RocksDbStateStore::Open(directory.path());
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message);
    return opened ? std::move(*opened) : nullptr;
  }
};

StateBatch OrdersBatch(std::vector<std::int64_t> offsets) {
  StateBatch batch;
  batch.stream = StateStream::kOrders;
  batch.checkpoint = {"orders.events", std::move(offsets), At(1'000)};
  return batch;
}

StateBatch InventoryBatch(std::vector<std::int64_t> offsets) {
  StateBatch batch;
  batch.stream = StateStream::kInventory;
  batch.checkpoint = {"inventory.events", std::move(offsets), At(2'000)};
  return batch;
}

// A stock as the inventory fold stores it: open and settled reservations.
domain::Stock StockWithReservations() {
  domain::Stock stock{"sku-1", 40, 5, {{"order-1", 2}, {"order-2", 3}}, {}, 9, At(1'234)};
  stock.settled = {{"order-0", {domain::ReservationState::kCommitted, 1}},
                   {"order-3", {domain::ReservationState::kRefused, 50}}};
  return stock;
}

template <typename Adapter>
class StateStoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = adapter_.Make();
    ASSERT_NE(store_, nullptr);
  }
  void Write(const StateBatch& batch) {
    const auto written = store_->Write(batch);
    ASSERT_TRUE(written) << written.error().message;
  }
  // A stored key by its name (the store keeps them by time: a scan of all).
  std::optional<StoredKey> Key(const std::string& name) const {
    std::optional<StoredKey> found;
    store_->ForEachKey(domain::Timestamp::min(), [&](const std::string& key, const StoredKey& record) {
      if (key == name) found = record;
    });
    return found;
  }
  std::vector<std::pair<std::string, std::optional<domain::Timestamp>>> Resident(StateStream stream) const {
    std::vector<std::pair<std::string, std::optional<domain::Timestamp>>> seen;
    EXPECT_TRUE(store_->ForEachResident(
        stream, [&](const std::string& id, std::optional<domain::Timestamp> since) { seen.emplace_back(id, since); }));
    return seen;
  }

  Adapter adapter_;
  std::unique_ptr<CommandStateStore> store_;
};

using Adapters = ::testing::Types<InMemoryAdapter, RocksDbAdapter>;
TYPED_TEST_SUITE(StateStoreContract, Adapters);

TYPED_TEST(StateStoreContract, ANewStoreHasNoCheckpointStateOrKey) {
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders), std::nullopt);
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kInventory), std::nullopt);
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), std::nullopt);
  EXPECT_EQ(this->Key("key-1"), std::nullopt);
  int visited = 0;
  this->store_->ForEachState(StateStream::kOrders, [&](const auto&, const auto&) { ++visited; });
  EXPECT_TRUE(this->store_->ForEachResident(StateStream::kOrders, [&](const auto&, const auto&) { ++visited; }));
  this->store_->ForEachKey(At(0), [&](const auto&, const auto&) { ++visited; });
  EXPECT_EQ(visited, 0);
}

TYPED_TEST(StateStoreContract, ABatchIsReadBackWithItsCheckpoint) {
  auto batch = OrdersBatch({7, 0, 12});
  batch.states = {{"order-1", "state one"}, {"order/2", std::string("bin\0ary", 7)}};
  batch.keys = {{"key-1", {"order-1", "hash-1", At(500)}}};
  this->Write(batch);

  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), "state one");
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order/2"), std::string("bin\0ary", 7));
  EXPECT_EQ(this->Key("key-1"), (StoredKey{"order-1", "hash-1", At(500)}));
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders), batch.checkpoint);
}

TYPED_TEST(StateStoreContract, ALaterBatchReplacesErasesAndMovesTheCheckpoint) {
  auto first = OrdersBatch({3});
  first.states = {{"order-1", "v1"}, {"order-2", "v1"}};
  first.keys = {{"key-1", {"order-1", "h", At(1)}}, {"key-2", {"order-2", "h", At(2)}}};
  this->Write(first);

  auto second = OrdersBatch({9});
  second.states = {{"order-1", "v2"}, {"order-1", "v3"}};  // the last state of an order wins
  second.erased_states = {"order-2"};
  this->Write(second);

  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), "v3");
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-2"), std::nullopt);
  EXPECT_TRUE(this->Key("key-1"));
  EXPECT_TRUE(this->Key("key-2"));
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders)->next_offsets, (std::vector<std::int64_t>{9}));
}

TYPED_TEST(StateStoreContract, OrdersAndProductsKeepTheirOwnStatesAndCheckpoints) {
  auto orders = OrdersBatch({4, 4});
  orders.states = {{"same-id", "an order"}};
  this->Write(orders);
  StateBatch stock;
  stock.stream = StateStream::kInventory;
  stock.states = {{"same-id", "a product"}, {"sku-2", "another product"}};
  stock.checkpoint = {"inventory.events", {1}, At(2'000)};
  this->Write(stock);

  EXPECT_EQ(this->store_->State(StateStream::kOrders, "same-id"), "an order");
  EXPECT_EQ(this->store_->State(StateStream::kInventory, "same-id"), "a product");
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders)->topic, "orders.events");
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kInventory)->topic, "inventory.events");

  std::vector<std::string> products;
  this->store_->ForEachState(StateStream::kInventory,
                             [&](const std::string& id, const std::string&) { products.push_back(id); });
  EXPECT_EQ(products, (std::vector<std::string>{"same-id", "sku-2"}));
}

TYPED_TEST(StateStoreContract, ForEachVisitsEveryStateInIdOrderAndKeysInPlacementOrder) {
  auto batch = OrdersBatch({1});
  batch.states = {{"b", "2"}, {"a", "1"}, {"c", "3"}};
  batch.keys = {{"k1", {"b", "h", At(2)}},
                {"k2", {"a", "h", At(1)}},
                {"k0", {"c", "h", At(2)}},
                {"before-1970", {"d", "h", At(-5)}}};
  this->Write(batch);

  std::string seen;
  this->store_->ForEachState(StateStream::kOrders,
                             [&](const std::string& id, const std::string& state) { seen += id + state + " "; });
  EXPECT_EQ(seen, "a1 b2 c3 ");
  std::vector<std::pair<std::string, std::string>> keys;
  const auto collect = [&keys](const std::string& key, const StoredKey& record) {
    keys.emplace_back(key, record.order_id);
  };
  this->store_->ForEachKey(At(-10), collect);
  EXPECT_EQ(keys, (std::vector<std::pair<std::string, std::string>>{
                      {"before-1970", "d"}, {"k2", "a"}, {"k0", "c"}, {"k1", "b"}}));
  keys.clear();
  this->store_->ForEachKey(At(2), collect);  // placed at 2 or later: the earlier ones are not read
  EXPECT_EQ(keys, (std::vector<std::pair<std::string, std::string>>{{"k0", "c"}, {"k1", "b"}}));
}

TYPED_TEST(StateStoreContract, KeysPlacedBeforeTheCutOffAreErasedWithTheBatchAndTheRestStay) {
  auto first = OrdersBatch({1});
  first.keys = {
      {"old", {"order-1", "h", At(100)}}, {"edge", {"order-2", "h", At(200)}}, {"new", {"order-3", "h", At(300)}}};
  this->Write(first);

  auto second = OrdersBatch({2});
  second.erase_keys_placed_before = At(200);
  second.keys = {{"newest", {"order-4", "h", At(400)}}};
  this->Write(second);

  EXPECT_EQ(this->Key("old"), std::nullopt);
  EXPECT_TRUE(this->Key("edge")) << "placed at the cut-off: not expired";
  EXPECT_TRUE(this->Key("new"));
  EXPECT_TRUE(this->Key("newest"));

  auto third = OrdersBatch({3});
  third.erase_keys_placed_before = At(50);  // nothing that old: nothing changes
  this->Write(third);
  EXPECT_TRUE(this->Key("edge"));
}

TYPED_TEST(StateStoreContract, TheResidentIndexHoldsWhatTheBatchesPutInIt) {
  auto first = OrdersBatch({1});
  first.states = {{"live", "s"}, {"finished", "s"}, {"gone", "s"}, {"evicted", "s"}};
  first.resident = {{"live", std::nullopt}, {"finished", At(70)}, {"gone", std::nullopt}, {"evicted", At(10)}};
  this->Write(first);
  EXPECT_EQ(this->Resident(StateStream::kOrders),
            (std::vector<std::pair<std::string, std::optional<domain::Timestamp>>>{
                {"evicted", At(10)}, {"finished", At(70)}, {"gone", std::nullopt}, {"live", std::nullopt}}));

  auto second = OrdersBatch({2});
  second.not_resident = {"evicted", "live"};
  second.erased_states = {"gone"};       // an erased state leaves the index too
  second.resident = {{"live", At(90)}};  // taken out and put back in one batch: the upsert wins
  this->Write(second);
  EXPECT_EQ(
      this->Resident(StateStream::kOrders),
      (std::vector<std::pair<std::string, std::optional<domain::Timestamp>>>{{"finished", At(70)}, {"live", At(90)}}));
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "evicted"), "s") << "out of the index, still stored";
  EXPECT_TRUE(this->Resident(StateStream::kInventory).empty());
}

TYPED_TEST(StateStoreContract, StatesReadsSeveralAtOnceInTheOrderAsked) {
  auto batch = OrdersBatch({1});
  batch.states = {{"a", "1"}, {"b", std::string("2\0", 2)}};
  this->Write(batch);
  EXPECT_EQ(this->store_->States(StateStream::kOrders, {"b", "missing", "a"}),
            (std::vector<std::optional<std::string>>{std::string("2\0", 2), std::nullopt, "1"}));
  EXPECT_TRUE(this->store_->States(StateStream::kOrders, {}).empty());
}

TYPED_TEST(StateStoreContract, DiscardForgetsOneStreamAndOrdersTakeTheirKeysAlong) {
  auto orders = OrdersBatch({5});
  orders.states = {{"order-1", "s"}};
  orders.keys = {{"key-1", {"order-1", "h", At(1)}}};
  orders.resident = {{"order-1", std::nullopt}};
  this->Write(orders);
  StateBatch stock;
  stock.stream = StateStream::kInventory;
  stock.states = {{"sku-1", "s"}};
  stock.checkpoint = {"inventory.events", {2}, At(1)};
  this->Write(stock);

  ASSERT_TRUE(this->store_->Discard(StateStream::kInventory));
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kInventory), std::nullopt);
  EXPECT_EQ(this->store_->State(StateStream::kInventory, "sku-1"), std::nullopt);
  EXPECT_TRUE(this->store_->Checkpoint(StateStream::kOrders));
  EXPECT_TRUE(this->Key("key-1"));
  EXPECT_EQ(this->Resident(StateStream::kOrders).size(), 1u);

  ASSERT_TRUE(this->store_->Discard(StateStream::kOrders));
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders), std::nullopt);
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), std::nullopt);
  EXPECT_EQ(this->Key("key-1"), std::nullopt);
  EXPECT_TRUE(this->Resident(StateStream::kOrders).empty());
}

TYPED_TEST(StateStoreContract, ProductsHaveTheirOwnResidentIndexAndBatchesThatLeaveOrdersAlone) {
  auto orders = OrdersBatch({5});
  orders.states = {{"order-1", "s"}};
  orders.resident = {{"order-1", std::nullopt}};
  orders.keys = {{"key-1", {"order-1", "h", At(1)}}};
  this->Write(orders);

  auto first = InventoryBatch({3, 4});
  first.states = {{"sku-2", "two"}, {"sku-1", EncodeStoredStock(StockWithReservations())}};
  first.resident = {{"sku-2", std::nullopt}, {"sku-1", std::nullopt}};
  this->Write(first);
  auto second = InventoryBatch({6, 4});
  second.states = {{"sku-2", "two, later"}, {"sku-3", "three"}};
  second.resident = {{"sku-3", std::nullopt}};
  second.erased_states = {"sku-1"};
  this->Write(second);

  EXPECT_EQ(this->Resident(StateStream::kInventory),
            (std::vector<std::pair<std::string, std::optional<domain::Timestamp>>>{{"sku-2", std::nullopt},
                                                                                   {"sku-3", std::nullopt}}));
  EXPECT_EQ(this->store_->States(StateStream::kInventory, {"sku-3", "sku-1", "sku-2"}),
            (std::vector<std::optional<std::string>>{"three", std::nullopt, "two, later"}));
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kInventory), second.checkpoint);
  // The orders stream is as its own batch left it.
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders), orders.checkpoint);
  EXPECT_EQ(this->Resident(StateStream::kOrders).size(), 1u);
  EXPECT_TRUE(this->Key("key-1"));
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "sku-2"), std::nullopt);
}

TYPED_TEST(StateStoreContract, AStoredStockReadsBackWithEveryReservation) {
  auto batch = InventoryBatch({1});
  batch.states = {{"sku-1", EncodeStoredStock(StockWithReservations())}};
  this->Write(batch);
  const auto bytes = this->store_->State(StateStream::kInventory, "sku-1");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(DecodeStoredStock(*bytes), StockWithReservations());
}

// What only a store on disk promises.
TEST(RocksDbStateStore, ProductsAndTheirCheckpointAreThereAfterReopening) {
  TempDirectory directory;
  auto batch = InventoryBatch({3, 8});
  batch.states = {{"sku-1", EncodeStoredStock(StockWithReservations())}};
  batch.resident = {{"sku-1", std::nullopt}};
  {
    auto store = RocksDbStateStore::Open(directory.path());
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->Write(batch));
  }
  auto reopened = RocksDbStateStore::Open(directory.path());
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(DecodeStoredStock(*(*reopened)->State(StateStream::kInventory, "sku-1")), StockWithReservations());
  std::vector<std::string> resident;
  (*reopened)->ForEachResident(StateStream::kInventory, [&](const std::string& id, std::optional<domain::Timestamp>) {
    resident.push_back(id);
  });
  EXPECT_EQ(resident, (std::vector<std::string>{"sku-1"}));
  EXPECT_EQ((*reopened)->Checkpoint(StateStream::kInventory), batch.checkpoint);
  EXPECT_EQ((*reopened)->Checkpoint(StateStream::kOrders), std::nullopt);
}

TEST(RocksDbStateStore, WhatWasWrittenIsThereAfterReopening) {
  TempDirectory directory;
  auto batch = OrdersBatch({10, 20});
  batch.states = {{"order-1", "kept"}};
  batch.keys = {{"key-1", {"order-1", "h", At(42)}}};
  batch.resident = {{"order-1", At(7)}};
  {
    auto store = RocksDbStateStore::Open(directory.path());
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->Write(batch));
  }
  auto reopened = RocksDbStateStore::Open(directory.path());
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->State(StateStream::kOrders, "order-1"), "kept");
  std::vector<std::pair<std::string, StoredKey>> keys;
  (*reopened)->ForEachKey(At(0),
                          [&](const std::string& key, const StoredKey& record) { keys.emplace_back(key, record); });
  EXPECT_EQ(keys, (std::vector<std::pair<std::string, StoredKey>>{{"key-1", {"order-1", "h", At(42)}}}));
  std::vector<std::pair<std::string, std::optional<domain::Timestamp>>> resident;
  (*reopened)->ForEachResident(
      StateStream::kOrders,
      [&](const std::string& id, std::optional<domain::Timestamp> since) { resident.emplace_back(id, since); });
  EXPECT_EQ(resident, (std::vector<std::pair<std::string, std::optional<domain::Timestamp>>>{{"order-1", At(7)}}));
  EXPECT_EQ((*reopened)->Checkpoint(StateStream::kOrders), batch.checkpoint);
}

TEST(RocksDbStateStore, ASecondStoreOnTheSameDirectoryIsRefusedWithTheReason) {
  TempDirectory directory;
  auto first = RocksDbStateStore::Open(directory.path());
  ASSERT_TRUE(first) << first.error().message;
  auto second = RocksDbStateStore::Open(directory.path());
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find(directory.path()), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("COMMAND_STATE_DIR"), std::string::npos) << second.error().message;
}

TEST(RocksDbStateStore, ADirectoryThatCannotBeCreatedIsAnError) {
  auto store = RocksDbStateStore::Open("/proc/orders-state-cannot-be-here");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("/proc/orders-state-cannot-be-here"), std::string::npos);
}

}  // namespace
}  // namespace orders::command

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

  Adapter adapter_;
  std::unique_ptr<CommandStateStore> store_;
};

using Adapters = ::testing::Types<InMemoryAdapter, RocksDbAdapter>;
TYPED_TEST_SUITE(StateStoreContract, Adapters);

TYPED_TEST(StateStoreContract, ANewStoreHasNoCheckpointStateOrKey) {
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders), std::nullopt);
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kInventory), std::nullopt);
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), std::nullopt);
  EXPECT_EQ(this->store_->Key("key-1"), std::nullopt);
  int visited = 0;
  this->store_->ForEachState(StateStream::kOrders, [&](const auto&, const auto&) { ++visited; });
  this->store_->ForEachKey([&](const auto&, const auto&) { ++visited; });
  EXPECT_EQ(visited, 0);
}

TYPED_TEST(StateStoreContract, ABatchIsReadBackWithItsCheckpoint) {
  auto batch = OrdersBatch({7, 0, 12});
  batch.states = {{"order-1", "state one"}, {"order/2", std::string("bin\0ary", 7)}};
  batch.keys = {{"key-1", {"order-1", "hash-1", At(500)}}};
  this->Write(batch);

  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), "state one");
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order/2"), std::string("bin\0ary", 7));
  EXPECT_EQ(this->store_->Key("key-1"), (StoredKey{"order-1", "hash-1", At(500)}));
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
  second.erased_keys = {"key-2"};
  this->Write(second);

  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), "v3");
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-2"), std::nullopt);
  EXPECT_TRUE(this->store_->Key("key-1"));
  EXPECT_EQ(this->store_->Key("key-2"), std::nullopt);
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

TYPED_TEST(StateStoreContract, ForEachVisitsEveryStateAndKeyInKeyOrder) {
  auto batch = OrdersBatch({1});
  batch.states = {{"b", "2"}, {"a", "1"}, {"c", "3"}};
  batch.keys = {{"k2", {"b", "h", At(2)}}, {"k1", {"a", "h", At(1)}}};
  this->Write(batch);

  std::string seen;
  this->store_->ForEachState(StateStream::kOrders,
                             [&](const std::string& id, const std::string& state) { seen += id + state + " "; });
  EXPECT_EQ(seen, "a1 b2 c3 ");
  std::vector<std::pair<std::string, std::string>> keys;
  this->store_->ForEachKey(
      [&](const std::string& key, const StoredKey& record) { keys.emplace_back(key, record.order_id); });
  EXPECT_EQ(keys, (std::vector<std::pair<std::string, std::string>>{{"k1", "a"}, {"k2", "b"}}));
}

TYPED_TEST(StateStoreContract, DiscardForgetsOneStreamAndOrdersTakeTheirKeysAlong) {
  auto orders = OrdersBatch({5});
  orders.states = {{"order-1", "s"}};
  orders.keys = {{"key-1", {"order-1", "h", At(1)}}};
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
  EXPECT_TRUE(this->store_->Key("key-1"));

  ASSERT_TRUE(this->store_->Discard(StateStream::kOrders));
  EXPECT_EQ(this->store_->Checkpoint(StateStream::kOrders), std::nullopt);
  EXPECT_EQ(this->store_->State(StateStream::kOrders, "order-1"), std::nullopt);
  EXPECT_EQ(this->store_->Key("key-1"), std::nullopt);
}

// What only a store on disk promises.
TEST(RocksDbStateStore, WhatWasWrittenIsThereAfterReopening) {
  TempDirectory directory;
  auto batch = OrdersBatch({10, 20});
  batch.states = {{"order-1", "kept"}};
  batch.keys = {{"key-1", {"order-1", "h", At(42)}}};
  {
    auto store = RocksDbStateStore::Open(directory.path());
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->Write(batch));
  }
  auto reopened = RocksDbStateStore::Open(directory.path());
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->State(StateStream::kOrders, "order-1"), "kept");
  EXPECT_EQ((*reopened)->Key("key-1"), (StoredKey{"order-1", "h", At(42)}));
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

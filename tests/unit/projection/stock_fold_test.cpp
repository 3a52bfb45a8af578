// The inventory side of the projection's fold, without PostgreSQL: inventory records decoded with the
// inventory codec and folded with the domain's inventory Apply into one row per product and one per
// reservation; redeliveries ignored, gaps and rule violations parked; and the rows GET /inventory answers.
#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/batch_applier.hpp>
#include <orders/projection/batch_builder.hpp>
#include <orders/projection/query_api.hpp>
#include <orders/projection/query_params.hpp>
#include <orders/testing/builders.hpp>

#include "in_memory_read_model_store.hpp"

namespace orders::projection {
namespace {

using domain::ReservationState;
using testing::At;

constexpr const char* kOrderA = "6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c";
constexpr const char* kOrderB = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

platform::ConsumedRecord Record(const domain::StockEvent& event, platform::Offset offset) {
  auto encoded = codec::EncodeEvent(event, {"evt-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {"inventory.events", 0, offset, encoded.key, encoded.value, encoded.headers, 0};
}

domain::StockSet Set(std::int64_t version, std::int64_t on_hand, const std::string& product = "sku-1") {
  return {product, version, At(1764000000000 + version), on_hand};
}
domain::StockReserved Reserve(std::int64_t version, const std::string& order, std::int64_t quantity,
                              const std::string& product = "sku-1") {
  return {product, version, At(1764000000000 + version), order, quantity};
}
domain::StockReleased Release(std::int64_t version, const std::string& order, std::int64_t quantity) {
  return {"sku-1", version, At(1764000000000 + version), order, quantity};
}
domain::StockCommitted Commit(std::int64_t version, const std::string& order, std::int64_t quantity) {
  return {"sku-1", version, At(1764000000000 + version), order, quantity};
}

BatchWrites Fold(std::vector<platform::ConsumedRecord> records,
                 const std::map<std::string, domain::Stock>& stored = {}) {
  return FoldBatch(DecodeBatch(std::move(records), Stream::kInventory), {}, stored);
}

// The stored state as the store loads it, from the events so far.
domain::Stock Replayed(const std::vector<domain::StockEvent>& events) {
  std::optional<domain::Stock> stock;
  for (const auto& event : events) EXPECT_EQ(domain::Apply(stock, event), domain::ApplyOutcome::kApplied);
  return *stock;
}

TEST(ProjectionStockFold, SetReserveReleaseAndCommitFoldIntoOneRowPerProductAndPerReservation) {
  const auto writes = Fold({Record(Set(1, 10), 0), Record(Reserve(2, kOrderA, 3), 1), Record(Reserve(3, kOrderB, 4), 2),
                            Record(Release(4, kOrderA, 3), 3), Record(Commit(5, kOrderB, 4), 4)});
  EXPECT_TRUE(writes.parked.empty());
  EXPECT_EQ(writes.applied, 5u);
  EXPECT_TRUE(writes.upserts.empty()) << "no order changes in an inventory batch";
  ASSERT_EQ(writes.stocks.size(), 1u);
  const auto& stock = writes.stocks[0];
  EXPECT_EQ(stock.product_id, "sku-1");
  EXPECT_EQ(stock.on_hand, 6) << "the commit took the delivered 4 out of stock";
  EXPECT_EQ(stock.reserved, 0);
  EXPECT_EQ(stock.version, 5);
  EXPECT_EQ(stock.updated_at, At(1764000000005));
  // By order id (kOrderB sorts first); each row names the product version of its last event.
  EXPECT_EQ(writes.reservations, (std::vector<ReservationRow>{{"sku-1", kOrderB, ReservationState::kCommitted, 4, 5},
                                                              {"sku-1", kOrderA, ReservationState::kReleased, 3, 4}}));
}

TEST(ProjectionStockFold, AHeldReservationCountsAsReservedUntilReleased) {
  const auto writes = Fold({Record(Set(1, 5), 0), Record(Reserve(2, kOrderA, 5), 1)});
  ASSERT_EQ(writes.stocks.size(), 1u);
  EXPECT_EQ(writes.stocks[0].reserved, 5);
  EXPECT_EQ(domain::Available(writes.stocks[0]), 0);
  EXPECT_EQ(writes.reservations, (std::vector<ReservationRow>{{"sku-1", kOrderA, ReservationState::kHeld, 5, 2}}));
}

TEST(ProjectionStockFold, ARedeliveredEventIsIgnoredAndTheNextOneApplies) {
  const auto stored = Replayed({Set(1, 10), Reserve(2, kOrderA, 3)});
  auto loaded = stored;
  loaded.settled.clear();  // the store loads only the reservations the batch names
  const auto writes = Fold({Record(Reserve(2, kOrderA, 3), 7), Record(Release(3, kOrderA, 3), 8)}, {{"sku-1", loaded}});
  EXPECT_TRUE(writes.parked.empty());
  EXPECT_EQ(writes.applied, 1u);
  EXPECT_EQ(writes.duplicates, 1u);
  ASSERT_EQ(writes.stocks.size(), 1u);
  EXPECT_EQ(writes.stocks[0].reserved, 0) << "the reservation was counted once and released once";
  EXPECT_EQ(writes.stocks[0].version, 3);
}

TEST(ProjectionStockFold, ABatchOfDuplicatesOnlyChangesNothing) {
  const auto writes = Fold({Record(Set(1, 10), 3), Record(Set(1, 10), 4)}, {{"sku-1", Replayed({Set(1, 10)})}});
  EXPECT_EQ(writes.duplicates, 2u);
  EXPECT_TRUE(writes.stocks.empty());
  EXPECT_TRUE(writes.reservations.empty());
  EXPECT_EQ(writes.next_offsets.at(0), 5) << "the offsets still advance";
}

TEST(ProjectionStockFold, AGapIsParkedWithEveryLaterEventOfItsProductOnly) {
  const auto writes = Fold({Record(Set(1, 10), 0), Record(Reserve(3, kOrderA, 1), 1), Record(Reserve(4, kOrderB, 1), 2),
                            Record(Set(1, 7, "sku-2"), 3)});
  ASSERT_EQ(writes.parked.size(), 2u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kGap);
  EXPECT_EQ(writes.parked[0].offset, 1);
  EXPECT_EQ(writes.parked[0].product_id, "sku-1");
  EXPECT_EQ(writes.parked[0].order_id, kOrderA);
  EXPECT_EQ(writes.parked[1].offset, 2);
  ASSERT_EQ(writes.stocks.size(), 2u);
  EXPECT_EQ(writes.stocks[0].version, 1) << "sku-1 stays at its last applied event";
  EXPECT_EQ(writes.stocks[1].product_id, "sku-2");
  EXPECT_TRUE(writes.reservations.empty());
}

TEST(ProjectionStockFold, AnEventThatBreaksTheStockRulesIsParkedAsInvalid) {
  const auto writes = Fold({Record(Set(1, 2), 0), Record(Release(2, kOrderA, 1), 1)});  // nothing was reserved
  ASSERT_EQ(writes.parked.size(), 1u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kInvalid);
  EXPECT_EQ(writes.stocks.at(0).version, 1);
}

TEST(ProjectionStockFold, AStoredReservationLoadedAsSettledIsNotCountedAgain) {
  // The store holds order A's reservation as released; the same order reserving again would be a
  // second reservation of one order: the domain refuses it, and so does the fold.
  auto stored = Replayed({Set(1, 10)});
  stored.version = 3;
  stored.settled.emplace(kOrderA, domain::SettledReservation{ReservationState::kReleased, 2});
  const auto writes = Fold({Record(Reserve(4, kOrderA, 2), 9)}, {{"sku-1", stored}});
  ASSERT_EQ(writes.parked.size(), 1u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kInvalid);
  EXPECT_TRUE(writes.stocks.empty());
}

TEST(ProjectionStockFold, UndecodableRecordsAndOrderEventsOnTheInventoryStreamArePoison) {
  const auto order_event = codec::EncodeEvent(testing::Placed(), {"evt-9", "/test", std::nullopt, std::nullopt});
  const auto batch =
      DecodeBatch({{"inventory.events", 1, 4, "sku-1", "{not json", {}, 0},
                   {"inventory.events", 1, 5, order_event.key, order_event.value, order_event.headers, 0}},
                  Stream::kInventory);
  EXPECT_TRUE(batch.stock_events.empty());
  EXPECT_TRUE(batch.events.empty());
  ASSERT_EQ(batch.poison.size(), 2u);
  const auto writes = FoldBatch(batch, {});
  EXPECT_EQ(writes.parked.size(), 2u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kPoison);
  EXPECT_EQ(writes.next_offsets.at(1), 6);
}

TEST(ProjectionStockFold, TheKeysToLoadAreTheBatchsProductsAndTheReservationsItsEventsName) {
  const auto batch = DecodeBatch({Record(Set(1, 10, "sku-2"), 0), Record(Reserve(2, kOrderA, 1, "sku-2"), 1),
                                  Record(Reserve(5, kOrderB, 1), 2), Record(Reserve(3, kOrderA, 1, "sku-2"), 3)},
                                 Stream::kInventory);
  const auto keys = StockKeysOf(batch.stock_events);
  EXPECT_EQ(keys.product_ids, (std::vector<std::string>{"sku-1", "sku-2"}));
  EXPECT_EQ(keys.reservations,
            (std::vector<std::pair<std::string, std::string>>{{"sku-1", kOrderB}, {"sku-2", kOrderA}}));
}

TEST(ProjectionStockFold, ReservationStatesRoundTripThroughTheirNames) {
  for (auto state : {ReservationState::kHeld, ReservationState::kRefused, ReservationState::kReleased,
                     ReservationState::kCommitted}) {
    EXPECT_EQ(ParseReservationState(ReservationStateName(state)), state);
  }
  EXPECT_FALSE(ParseReservationState("none"));
}

// The consumer's builder keeps its stream for every batch it starts, not only the first.
TEST(ProjectionInventoryBatches, EveryBatchOfAnInventoryBuilderIsFoldedAsInventory) {
  using Clock = std::chrono::steady_clock;
  InMemoryReadModelStore store;
  VersionWaiters waiters;
  platform::MetricsRegistry registry;
  ProjectionMetrics metrics(registry);
  BatchApplier applier(store, waiters, metrics);
  const auto stored = store.LoadPosition("inventory.events", {0});
  ASSERT_TRUE(stored.ok());
  applier.Assign({0}, *stored);
  applier.Start();
  BatchBuilder builder(BatchPolicy{}, Stream::kInventory);
  const std::vector<platform::ConsumedRecord> records = {Record(Set(1, 10), 0), Record(Reserve(2, kOrderA, 3), 1),
                                                         Record(Release(3, kOrderA, 3), 2)};
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i == 2) builder.Clear();  // a rejoin starts afresh
    builder.Add(records[i]);
    builder.Flush(applier);  // one batch per record
    applier.Drain(Clock::now() + std::chrono::seconds(5));
  }
  applier.Stop(Clock::now() + std::chrono::seconds(1));
  EXPECT_EQ(metrics.poison.Value(), 0u);
  EXPECT_EQ(metrics.gaps.Value(), 0u);
  EXPECT_EQ(metrics.events_applied.Value(), 3u);
  const auto stock = store.Stocks().at("sku-1");
  EXPECT_EQ(stock.version, 3);
  EXPECT_EQ(stock.reserved, 0);
  EXPECT_EQ(store.Offsets().at(0), 3);
}

std::vector<std::string> Fields(const ParamErrors& errors) {
  std::vector<std::string> fields;
  for (const auto& error : errors) fields.push_back(error.field);
  return fields;
}

TEST(ProjectionInventoryParams, DefaultsAndAFilter) {
  const auto defaults = ParseInventoryQuery({});
  ASSERT_TRUE(defaults.value);
  EXPECT_EQ(defaults.value->limit, 50);
  EXPECT_FALSE(defaults.value->below_available);
  EXPECT_FALSE(defaults.value->after_product_id);
  for (const auto& [text, value] :
       std::vector<std::pair<std::string, std::int64_t>>{{"0", 0}, {"1000000000", 1000000000}}) {
    const auto parsed = ParseInventoryQuery({{"belowAvailable", text}, {"limit", "500"}});
    ASSERT_TRUE(parsed.value) << text;
    EXPECT_EQ(parsed.value->below_available, value);
    EXPECT_EQ(parsed.value->limit, 500);
  }
}

TEST(ProjectionInventoryParams, RefusesMalformedValuesAndUnknownParameters) {
  for (const char* bad : {"-1", "1000000001", "x", "", "1.5", " 2", "99999999999999999999", "+3"}) {
    EXPECT_EQ(Fields(ParseInventoryQuery({{"belowAvailable", bad}}).errors), std::vector<std::string>{"belowAvailable"})
        << bad;
  }
  for (const char* bad : {"0", "501", "-5", "ten"}) {
    EXPECT_EQ(Fields(ParseInventoryQuery({{"limit", bad}}).errors), std::vector<std::string>{"limit"}) << bad;
  }
  EXPECT_EQ(Fields(ParseInventoryQuery({{"below", "3"}}).errors), std::vector<std::string>{"below"});
}

TEST(ProjectionInventoryParams, TakesItsOwnCursorsOnly) {
  const auto parsed = ParseInventoryQuery({{"cursor", EncodeProductCursor("sku-42")}});
  ASSERT_TRUE(parsed.value);
  EXPECT_EQ(parsed.value->after_product_id, "sku-42");
  const std::string orders_cursor = EncodeCursor({At(), kOrderA});
  const std::string open_cursor = EncodeCursor({At(), kOrderA}, CursorList::kOpenDeliveries);
  for (const auto& bad : {orders_cursor, open_cursor, std::string("garbage!"), EncodeProductCursor("..")}) {
    EXPECT_EQ(Fields(ParseInventoryQuery({{"cursor", bad}}).errors), std::vector<std::string>{"cursor"}) << bad;
  }
  EXPECT_FALSE(DecodeCursor(EncodeProductCursor("sku-42"))) << "an inventory cursor is no orders cursor";
}

TEST(ProjectionInventoryJson, APageListsEachProductsLevelsAndTheNextCursor) {
  InventoryPage page{{{"sku-1", 10, 4, 6, 3, At(1764000000123)}, {"sku-2", 1, 5, 0, 7, At(1764000000000)}}, "sku-2"};
  const auto json = InventoryPageToJson(page);
  ASSERT_EQ(json.at("items").size(), 2u);
  EXPECT_EQ(json["items"][0], nlohmann::json::parse(R"({"productId":"sku-1","onHand":10,"reserved":4,"available":6,
                                                         "version":3,"updatedAt":"2025-11-24T16:00:00.123Z"})"));
  EXPECT_EQ(DecodeProductCursor(json.at("nextCursor").get<std::string>()), "sku-2");
  EXPECT_TRUE(InventoryPageToJson(InventoryPage{}).at("nextCursor").is_null());
  EXPECT_TRUE(InventoryPageToJson(InventoryPage{}).at("items").is_array());
}

}  // namespace
}  // namespace orders::projection

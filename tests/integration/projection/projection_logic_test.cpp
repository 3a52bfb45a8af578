// The pure pieces of the projection's write path (the fence, COPY rows, known
// orders) and of the rebuild (names, progress, when to switch). They need no
// Kafka or PostgreSQL; they live beside the projection's integration tests,
// which exercise them end to end.
#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/projection/known_orders.hpp>
#include <orders/projection/offset_fence.hpp>
#include <orders/projection/rebuild_plan.hpp>
#include <orders/testing/builders.hpp>

#include "pg/copy_rows.hpp"

namespace orders::projection {
namespace {

TEST(OffsetFence, PassesOnlyWhenEveryPartitionIsStoredAsExpected) {
  EXPECT_TRUE(StoredAsExpected({{0, 10}, {3, std::nullopt}}, {{0, 10}, {5, 99}}));
  EXPECT_FALSE(StoredAsExpected({{0, 10}}, {{0, 7}}));            // commits lost: the store went back
  EXPECT_FALSE(StoredAsExpected({{0, 10}}, {{0, 12}}));           // another writer went ahead
  EXPECT_FALSE(StoredAsExpected({{0, std::nullopt}}, {{0, 4}}));  // stored where we believed nothing was
  EXPECT_FALSE(StoredAsExpected({{0, 10}}, {}));                  // a fresh read model (rebuilt, switched in)
}

TEST(OffsetFence, ANewGenerationIsAMovedStoreEvenWithTheSameOffsets) {
  EXPECT_TRUE(FenceHolds("g1", {{0, 10}}, {"g1", {{0, 10}}}));
  EXPECT_FALSE(FenceHolds("g1", {{0, 10}}, {"g2", {{0, 10}}}));
  EXPECT_EQ(ResolveInDoubt("g1", {{0, 10}}, {{0, 15}}, {"g2", {{0, 15}}}), CommitFate::kStoreMoved);
  EXPECT_EQ(ResolveInDoubt("g1", {{0, 10}}, {{0, 15}}, {"g1", {{0, 15}}}), CommitFate::kCommitted);
}

TEST(OffsetFence, AnInDoubtCommitIsResolvedByTheStoredOffsets) {
  const ExpectedOffsets before{{0, 10}, {1, std::nullopt}};
  const StoredOffsets ends{{0, 15}, {1, 3}};
  EXPECT_EQ(ResolveInDoubt(before, ends, {{0, 15}, {1, 3}}), CommitFate::kCommitted);
  EXPECT_EQ(ResolveInDoubt(before, ends, {{0, 10}}), CommitFate::kNotCommitted);
  EXPECT_EQ(ResolveInDoubt(before, ends, {{0, 12}}), CommitFate::kStoreMoved);
}

TEST(CopyRows, EscapesWhatCopyTextFormatTreatsSpecially) {
  CopyRows rows;
  rows.Text("a\tb\\c\nd\re").Integer(-42).NullableText(std::nullopt).EndRow();
  rows.Text(std::string("nul\0!", 5)).NullableText(std::string("é \"q\"")).Integer(0).EndRow();
  EXPECT_EQ(rows.rows(), 2u);
  EXPECT_EQ(rows.data(), "a\\tb\\\\c\\nd\\re\t-42\t\\N\nnul\xEF\xBF\xBD!\t\xC3\xA9 \"q\"\t0\n");
  EXPECT_EQ(rows.TakeLines(), "a\\tb\\\\c\\nd\\re\t-42\t\\N\nnul\xEF\xBF\xBD!\t\xC3\xA9 \"q\"\t0");
  EXPECT_EQ(rows.rows(), 0u);
}

TEST(CopyRows, WritesTimestampsAsPostgresReadsThemWithoutAYearZero) {
  using domain::Timestamp;
  using std::chrono::milliseconds;
  CopyRows rows;
  rows.Timestamp(Timestamp(milliseconds(0)))
      .Timestamp(Timestamp(milliseconds(-1)))
      .Timestamp(Timestamp(milliseconds(1706745599123)))
      .EndRow();
  rows.Timestamp(Timestamp(milliseconds(-62167219200000)))
      .Timestamp(Timestamp(milliseconds(-62162035200001)))
      .Timestamp(Timestamp(milliseconds(253402300799999)))
      .EndRow();
  EXPECT_EQ(rows.TakeLines(),
            "1970-01-01 00:00:00.000+00\t1969-12-31 23:59:59.999+00\t2024-01-31 23:59:59.123+00\n"
            "0001-01-01 00:00:00.000+00 BC\t0001-02-29 23:59:59.999+00 BC\t9999-12-31 23:59:59.999+00");
}

platform::ConsumedRecord Record(const domain::Event& event, std::int64_t offset) {
  auto encoded = codec::EncodeEvent(event, {"evt-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {"orders.events", 0, offset, encoded.key, encoded.value, encoded.headers, 0};
}

constexpr const char* kOther = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
constexpr const char* kThird = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";

TEST(KnownOrders, OpenOrdersWrittenBeforeNeedNoLookupAndPlacementsAreTakenAsNew) {
  using domain::Status;
  using testing::Changed;
  using testing::Placed;
  KnownOrders known;
  known.Remember(FoldBatch(DecodeBatch({Record(Placed(), 0), Record(Placed(kOther), 1),
                                        Record(Changed(2, Status::kPending, Status::kDelivered, kOther), 2)}),
                           {}));
  const auto next = DecodeBatch({Record(Changed(2, Status::kPending, Status::kConfirmed), 3),
                                 Record(Changed(3, Status::kDelivered, Status::kCancelled, kOther), 4),
                                 Record(Changed(2, Status::kPending, Status::kShipped, kThird), 5),
                                 Record(Placed("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"), 6)});
  std::map<std::string, domain::Order> stored;
  // The open order is known; the delivered one was not kept (terminal); an
  // order never written here must be loaded; a placement is taken as new.
  EXPECT_EQ(known.Split(next, true, stored), (std::vector<std::string>{kOther, kThird}));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored.at(testing::kOrderId).version, 1);
  EXPECT_EQ(stored.at(testing::kOrderId).status, Status::kPending);

  stored.clear();
  EXPECT_EQ(known.Split(next, false, stored).size(), 3u);  // placements looked up too
  known.Clear();
  stored.clear();
  EXPECT_EQ(known.Split(next, false, stored).size(), 4u);
  EXPECT_TRUE(stored.empty());
}

TEST(RebuildPlan, SchemaNamesDeriveFromTheLiveOneAndMustFit) {
  using namespace std::chrono;
  EXPECT_EQ(RebuildSchemaName("read_model"), "read_model__rebuild");
  const auto at = sys_days{year{2025} / 11 / 28} + hours{9} + minutes{5} + seconds{7} + milliseconds{900};
  EXPECT_EQ(RetiredSchemaName("read_model", at), "read_model__retired_20251128T090507Z");
  EXPECT_FALSE(CheckSchemaNameFitsRebuild(std::string(37, 'a')));
  EXPECT_TRUE(CheckSchemaNameFitsRebuild(std::string(38, 'a')));
}

TEST(RebuildPlan, RemainingAndReachedComparePerPartition) {
  EXPECT_EQ(Remaining({{0, 10}, {1, 5}}, {{0, 12}, {1, 5}, {2, 7}}), 9);
  EXPECT_EQ(Remaining({{0, 12}}, {{0, 10}}), 0);
  EXPECT_TRUE(Reached({{0, 12}, {1, 5}}, {{0, 12}, {1, 4}}));
  EXPECT_FALSE(Reached({{0, 12}}, {{0, 12}, {1, 1}}));
  EXPECT_TRUE(Reached({}, {{3, 0}}));
}

TEST(RebuildPlan, ProgressLineSaysHowFarAndHowLong) {
  EXPECT_EQ(Grouped(1234567), "1,234,567");
  EXPECT_EQ(Grouped(999), "999");
  EXPECT_EQ(ProgressLine(413220, 1000410, 61842.4),
            "rebuild: 41.3% 413,220 of 1,000,410 records applied, 61,842 records/s, about 9 s left");
  EXPECT_EQ(ProgressLine(0, 0, 0), "rebuild: 100.0% 0 of 0 records applied, 0 records/s");
}

}  // namespace
}  // namespace orders::projection

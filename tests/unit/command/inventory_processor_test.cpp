#include <gtest/gtest.h>

#include <deque>

#include <nlohmann/json.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/command/http_answer.hpp>
#include <orders/command/inventory_processor.hpp>
#include <orders/command/request_parser.hpp>

namespace orders::command {
namespace {

using Kind = StockResult::Kind;
using domain::ReservationState;

const Caller kStaff{{domain::ActorRole::kStaff, "ops"}, "staff:ops", std::nullopt};
const Caller kCustomer{{domain::ActorRole::kCustomer, "c-1"}, "customer:c-1", std::nullopt};
const Caller kCourier{{domain::ActorRole::kCourier, "k-1"}, "courier:k-1", std::nullopt};
const std::string kSku = "sku-1";
const std::string kOrderA = "00000000-0000-4000-8000-00000000000a";
const std::string kOrderB = "00000000-0000-4000-8000-00000000000b";
const domain::Timestamp kNow{std::chrono::milliseconds(1764000000000)};

// Holds appends until the test settles them, like a broker that is slow to ack.
class FakeAppender : public EventAppender {
 public:
  void Append(const codec::EventRecord& record, std::int32_t partition, std::function<void(Appended)> done) override {
    records.push_back(record);
    partitions.push_back(partition);
    pending.emplace_back(static_cast<platform::Offset>(records.size() - 1), std::move(done));
  }
  // Each record's offset is its index in `records`.
  void Settle(AppendOutcome outcome) {
    auto [offset, done] = std::move(pending.front());
    pending.pop_front();
    done({outcome, outcome == AppendOutcome::kPersisted ? std::optional(offset) : std::nullopt});
  }
  void SettleAll() {
    while (!pending.empty()) Settle(AppendOutcome::kPersisted);
  }

  std::vector<codec::EventRecord> records;
  std::vector<std::int32_t> partitions;
  std::deque<std::pair<platform::Offset, std::function<void(Appended)>>> pending;
};

class InventoryProcessorTest : public ::testing::Test {
 protected:
  InventoryProcessorTest()
      : processor_({book_, appender_, [] { return kNow; },
                    [this] {
                      const std::string n = std::to_string(++ids_);
                      return "00000000-0000-4000-9000-" + std::string(12 - n.size(), '0') + n;
                    },
                    "/test",
                    [this](const std::string&) -> std::optional<std::int32_t> {
                      if (!owns_) return std::nullopt;
                      return 3;
                    }}) {}

  StockResult Set(std::int64_t on_hand, const Caller& caller = kStaff) {
    StockResult result;
    processor_.SetStock({kSku, on_hand}, caller, [&](StockResult r) { result = std::move(r); });
    appender_.SettleAll();
    return result;
  }
  StockResult Reserve(const std::string& order_id, std::int64_t quantity) {
    StockResult result;
    processor_.Reserve({kSku, order_id, quantity}, "service:workflow", [&](StockResult r) { result = std::move(r); });
    appender_.SettleAll();
    return result;
  }
  StockResult Release(const std::string& order_id) {
    StockResult result;
    processor_.Release({kSku, order_id}, std::nullopt, [&](StockResult r) { result = std::move(r); });
    appender_.SettleAll();
    return result;
  }
  StockResult Commit(const std::string& order_id) {
    StockResult result;
    processor_.Commit({kSku, order_id}, std::nullopt, [&](StockResult r) { result = std::move(r); });
    appender_.SettleAll();
    return result;
  }

  int ids_ = 0;
  bool owns_ = true;
  StockBook book_;
  FakeAppender appender_;
  InventoryProcessor processor_;
};

TEST_F(InventoryProcessorTest, SetStockAppendsToTheProductsPartitionAndAnswersAfterTheAck) {
  std::optional<StockResult> result;
  processor_.SetStock({kSku, 7}, kStaff, [&](StockResult r) { result = std::move(r); });
  EXPECT_FALSE(result) << "answered before the log acknowledged";
  appender_.SettleAll();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->kind, Kind::kOk);
  EXPECT_EQ(result->stock->on_hand, 7);
  EXPECT_EQ(result->stock->version, 1);
  ASSERT_EQ(appender_.records.size(), 1u);
  EXPECT_EQ(appender_.records[0].key, kSku);
  EXPECT_EQ(appender_.partitions[0], 3);
  EXPECT_EQ(*codec::FindHeader(appender_.records[0].headers, "ce_type"), "inventory.stock_set.v1");
  EXPECT_EQ(*codec::FindHeader(appender_.records[0].headers, "orders_actor"), "staff:ops");
  EXPECT_EQ(book_.Find(kSku)->on_hand, 7);
}

TEST_F(InventoryProcessorTest, OnlyStaffAndServicesSetStock) {
  for (const Caller& caller : {kCustomer, kCourier}) {
    const auto result = Set(5, caller);
    EXPECT_EQ(result.kind, Kind::kRejected);
    EXPECT_EQ(result.rejection->kind, domain::RejectionKind::kForbidden);
  }
  EXPECT_TRUE(appender_.records.empty());
  EXPECT_FALSE(book_.Find(kSku));
}

TEST_F(InventoryProcessorTest, InvalidStockLevelIsRefusedWithoutAnAppend) {
  const auto result = Set(-1);
  EXPECT_EQ(result.kind, Kind::kRejected);
  EXPECT_EQ(result.rejection->kind, domain::RejectionKind::kInvalid);
  EXPECT_TRUE(appender_.records.empty());
}

TEST_F(InventoryProcessorTest, ProductOfAPartitionThisInstanceDoesNotWriteIsRefused) {
  owns_ = false;
  EXPECT_EQ(Set(5).kind, Kind::kNotOwner);
  EXPECT_EQ(Reserve(kOrderA, 1).kind, Kind::kNotOwner);
  EXPECT_TRUE(appender_.records.empty());
}

TEST_F(InventoryProcessorTest, FailedAppendChangesNothingAndUnknownOutcomeHoldsTheProduct) {
  std::optional<StockResult> result;
  processor_.SetStock({kSku, 5}, kStaff, [&](StockResult r) { result = std::move(r); });
  appender_.Settle(AppendOutcome::kFailed);
  EXPECT_EQ(result->kind, Kind::kUnavailable);
  EXPECT_FALSE(book_.Find(kSku));

  processor_.SetStock({kSku, 5}, kStaff, [&](StockResult r) { result = std::move(r); });
  appender_.Settle(AppendOutcome::kUnknown);
  EXPECT_EQ(result->kind, Kind::kUnavailable);
  EXPECT_TRUE(book_.IsUncertain(kSku));
  EXPECT_EQ(Set(6).kind, Kind::kUnavailable);  // until the log says what happened
  book_.ClearUncertainBefore(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  EXPECT_EQ(Set(6).kind, Kind::kOk);
}

TEST_F(InventoryProcessorTest, ConcurrentCommandsOnOneProductGetGaplessVersions) {
  std::vector<StockResult> results;
  for (int i = 0; i < 5; ++i) {
    processor_.SetStock({kSku, i}, kStaff, [&](StockResult r) { results.push_back(std::move(r)); });
  }
  EXPECT_EQ(appender_.pending.size(), 1u) << "a second command decided before the first was in the log";
  appender_.SettleAll();
  ASSERT_EQ(results.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(results[i].stock->version, i + 1);
}

TEST_F(InventoryProcessorTest, ReserveHoldsStockAndTellsWhatBecameOfTheOrder) {
  Set(10);
  const auto reserved = Reserve(kOrderA, 4);
  EXPECT_EQ(reserved.kind, Kind::kOk);
  ASSERT_EQ(reserved.events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<domain::StockReserved>(reserved.events[0]));
  EXPECT_EQ(*reserved.reservation, ReservationState::kHeld);
  EXPECT_EQ(domain::Available(*reserved.stock), 6);
  EXPECT_EQ(*codec::FindHeader(appender_.records.back().headers, "orders_actor"), "service:workflow");
}

TEST_F(InventoryProcessorTest, RepeatedReserveAppendsNothingAndAnswersWithTheSameReservation) {
  Set(10);
  Reserve(kOrderA, 4);
  const auto again = Reserve(kOrderA, 4);
  EXPECT_EQ(again.kind, Kind::kOk);
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(again.stock->reserved, 4);
  EXPECT_EQ(*again.reservation, ReservationState::kHeld);
  EXPECT_EQ(appender_.records.size(), 2u);
}

TEST_F(InventoryProcessorTest, ReserveBeyondAvailableIsRefusedAsAnEvent) {
  Set(3);
  const auto refused = Reserve(kOrderA, 4);
  EXPECT_EQ(refused.kind, Kind::kOk);
  ASSERT_EQ(refused.events.size(), 1u);
  EXPECT_EQ(std::get<domain::ReservationRefused>(refused.events[0]).available, 3);
  EXPECT_EQ(*refused.reservation, ReservationState::kRefused);
  EXPECT_EQ(refused.stock->reserved, 0);
}

TEST_F(InventoryProcessorTest, ReserveOnAnUntrackedProductIsUnlimitedAndAppendsNothing) {
  const auto result = Reserve(kOrderA, 1000);
  EXPECT_EQ(result.kind, Kind::kOk);
  EXPECT_FALSE(result.stock);
  EXPECT_TRUE(result.events.empty());
  EXPECT_TRUE(appender_.records.empty());
  EXPECT_EQ(book_.ProductCount(), 0u);
}

TEST_F(InventoryProcessorTest, ReleaseAndCommitSettleTheReservationOnce) {
  Set(10);
  Reserve(kOrderA, 4);
  Reserve(kOrderB, 2);
  const auto released = Release(kOrderA);
  EXPECT_TRUE(std::holds_alternative<domain::StockReleased>(released.events.at(0)));
  EXPECT_TRUE(Release(kOrderA).events.empty());
  const auto committed = Commit(kOrderB);
  EXPECT_TRUE(std::holds_alternative<domain::StockCommitted>(committed.events.at(0)));
  EXPECT_TRUE(Commit(kOrderB).events.empty());
  const auto stock = *book_.Find(kSku);
  EXPECT_EQ(stock.on_hand, 8);
  EXPECT_EQ(stock.reserved, 0);
  EXPECT_EQ(stock.version, 5);
}

TEST_F(InventoryProcessorTest, InvalidWorkflowCommandsAreRefused) {
  Set(10);
  EXPECT_EQ(Reserve("not-an-order", 1).rejection->kind, domain::RejectionKind::kInvalid);
  EXPECT_EQ(Reserve(kOrderA, 0).rejection->kind, domain::RejectionKind::kInvalid);
  Reserve(kOrderA, 2);
  EXPECT_EQ(Reserve(kOrderA, 3).rejection->kind, domain::RejectionKind::kTransitionNotAllowed);
}

TEST_F(InventoryProcessorTest, EventsAppendedRebuildTheSameStockFromTheLog) {
  Set(10);
  Reserve(kOrderA, 4);
  Reserve(kOrderB, 9);
  Commit(kOrderA);
  StockBook rebuilt;
  for (std::size_t i = 0; i < appender_.records.size(); ++i) {
    const auto& record = appender_.records[i];
    const auto folded = rebuilt.Fold(
        {"inventory.events", 3, static_cast<std::int64_t>(i), record.key, record.value, record.headers, 0});
    ASSERT_TRUE(folded.decoded) << folded.error;
    EXPECT_EQ(folded.outcome, domain::ApplyOutcome::kApplied);
  }
  EXPECT_EQ(rebuilt.Find(kSku), book_.Find(kSku));
}

TEST(StockRequestParser, ReadsOnHand) {
  const auto parsed = ParseSetStock("sku-1", R"({"onHand":12})");
  ASSERT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.command->on_hand, 12);
  EXPECT_EQ(parsed.command->product_id, "sku-1");
}

TEST(StockRequestParser, RefusesWhatIsNotAnInRangeIntegerUnknownFieldsAndBadProductIds) {
  for (const char* body : {R"({"onHand":-1})", R"({"onHand":1000000001})", R"({"onHand":1.5})", R"({"onHand":"5"})",
                           R"({"onHand":1e3})", R"({"onHand":99999999999999999999})", R"({"onHand":null})", R"({})",
                           R"({"onHand":5,"reserved":1})", R"([5])", "5", "{", ""}) {
    EXPECT_FALSE(ParseSetStock("sku-1", body).errors.empty()) << body;
  }
  EXPECT_EQ(ParseSetStock("sku 1", R"({"onHand":5})").errors.at(0).field, "productId");
  EXPECT_EQ(ParseSetStock(std::string(65, 'a'), R"({"onHand":5})").errors.at(0).field, "productId");
  const auto both = ParseSetStock("bad/id", R"({"onHand":-1,"x":1})");
  EXPECT_EQ(both.errors.size(), 3u);
}

TEST(StockHttpAnswer, OkCarriesTheStockShape) {
  domain::Stock stock{kSku, 5, 2, {{kOrderA, 2}}, {}, 3, kNow};
  const auto answer = AnswerFor(StockResult{Kind::kOk, stock, {}, std::nullopt, std::nullopt});
  EXPECT_EQ(answer.status, 200);
  const auto json = nlohmann::json::parse(answer.body);
  EXPECT_EQ(json, nlohmann::json::parse(R"({"productId":"sku-1","onHand":5,"reserved":2,"available":3,"version":3})"));
}

TEST(StockHttpAnswer, RefusalsMapToTheContractsStatuses) {
  const auto rejected = [](domain::RejectionKind kind) {
    return AnswerFor(
               StockResult{Kind::kRejected, std::nullopt, {}, domain::Rejection{kind, "why", {}, {}}, std::nullopt})
        .status;
  };
  EXPECT_EQ(rejected(domain::RejectionKind::kInvalid), 400);
  EXPECT_EQ(rejected(domain::RejectionKind::kForbidden), 403);
  EXPECT_EQ(rejected(domain::RejectionKind::kTransitionNotAllowed), 409);
  EXPECT_EQ(AnswerFor(StockResult{Kind::kNotOwner, std::nullopt, {}, std::nullopt, std::nullopt}).status, 503);
  EXPECT_EQ(AnswerFor(StockResult{Kind::kUnavailable, std::nullopt, {}, std::nullopt, std::nullopt}).status, 503);
  EXPECT_EQ(AnswerFor(StockResult{Kind::kBusy, std::nullopt, {}, std::nullopt, std::nullopt}).status, 503);
}

}  // namespace
}  // namespace orders::command

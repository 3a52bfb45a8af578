#include <gtest/gtest.h>
#include <orders/platform/uuid.hpp>
#include <set>

#include <deque>

#include <orders/codec/event_codec.hpp>
#include <orders/command/command_processor.hpp>
#include <orders/command/partitioning.hpp>
#include <orders/command/request_parser.hpp>
#include <orders/testing/builders.hpp>

namespace orders::command {
namespace {

using domain::Status;
using Kind = CommandResult::Kind;

const Caller kStaff{{domain::ActorRole::kStaff, "ops"}, "staff:ops", std::nullopt};

// Holds appends until the test settles them, like a broker that is slow to ack.
class FakeAppender : public EventAppender {
 public:
  // Each record's offset is its index in `records`.
  void Append(const codec::EventRecord& record, std::int32_t, std::function<void(Appended)> done) override {
    records.push_back(record);
    pending.emplace_back(static_cast<platform::Offset>(records.size() - 1), std::move(done));
  }
  void Settle(AppendOutcome outcome) {
    auto [offset, done] = std::move(pending.front());
    pending.pop_front();
    done({outcome, outcome == AppendOutcome::kPersisted ? std::optional(offset) : std::nullopt});
  }
  void SettleAll() {
    while (!pending.empty()) Settle(AppendOutcome::kPersisted);
  }

  std::vector<codec::EventRecord> records;
  std::deque<std::pair<platform::Offset, std::function<void(Appended)>>> pending;
};

class CommandProcessorTest : public ::testing::Test {
 protected:
  CommandProcessorTest()
      : processor_({book_,
                    appender_,
                    [] { return testing::At(); },
                    [this] {
                      const std::string n = std::to_string(++ids_);
                      return "00000000-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
                    },
                    "/test",
                    [this](const std::string&) -> std::optional<std::int32_t> {
                      if (!owns_) return std::nullopt;
                      return 0;
                    },
                    false,
                    {},
                    &own_appends_}) {
    // The book's clock is the processor's: keys are kept a day after the placements it stamps.
    book_.SetKeyRetention(std::chrono::hours(24), [] { return testing::At(); });
  }

  CommandResult Place(domain::PlaceOrder command, std::optional<std::string> key = std::nullopt) {
    CommandResult result;
    processor_.Place(std::move(command), std::move(key), kStaff, [&](CommandResult r) { result = std::move(r); });
    appender_.SettleAll();
    return result;
  }

  CommandResult Change(Status to, std::optional<std::int64_t> if_match = std::nullopt) {
    auto command = testing::ChangeStatusCommand(to);
    command.expected_version = if_match;
    CommandResult result;
    processor_.ChangeStatus(command, kStaff, [&](CommandResult r) { result = std::move(r); });
    appender_.SettleAll();
    return result;
  }

  int ids_ = 0;
  bool owns_ = true;
  OwnAppends own_appends_;
  OrderBook book_;
  FakeAppender appender_;
  CommandProcessor processor_;
};

TEST_F(CommandProcessorTest, PlaceAppendsOneEventAndAnswersCreatedAfterTheAck) {
  std::optional<CommandResult> result;
  processor_.Place(testing::PlaceOrderCommand(), std::nullopt, kStaff, [&](CommandResult r) { result = std::move(r); });
  EXPECT_FALSE(result) << "answered before the log acknowledged";
  appender_.SettleAll();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->kind, Kind::kCreated);
  EXPECT_EQ(result->order->version, 1);
  ASSERT_EQ(appender_.records.size(), 1u);
  EXPECT_EQ(appender_.records[0].key, testing::kOrderId);
}

TEST_F(CommandProcessorTest, PlaceWithoutOrderIdGeneratesOne) {
  auto command = testing::PlaceOrderCommand("");
  const auto result = Place(command);
  ASSERT_EQ(result.kind, Kind::kCreated);
  EXPECT_TRUE(domain::IsValidOrderId(result.order->order_id));
}

TEST_F(CommandProcessorTest, AppendsFoldedAtTheirAcknowledgementAreNotedForTheFollowerAndUncertainOnesAreNot) {
  Place(testing::PlaceOrderCommand());  // offset 0
  std::optional<CommandResult> result;
  processor_.ChangeStatus(testing::ChangeStatusCommand(Status::kConfirmed), kStaff,
                          [&](CommandResult r) { result = r; });
  appender_.Settle(AppendOutcome::kUnknown);  // offset 1: may or may not be in the log
  EXPECT_EQ(own_appends_.NoteCount(), 1u);
  EXPECT_TRUE(own_appends_.Take(0, 0));
  EXPECT_FALSE(own_appends_.Take(0, 1)) << "the follower must fold what the book may lack";
}

TEST_F(CommandProcessorTest, AnAppendTheFollowerFoldedBeforeItsAcknowledgementIsNotNoted) {
  std::optional<CommandResult> result;
  processor_.Place(testing::PlaceOrderCommand(), std::nullopt, kStaff, [&](CommandResult r) { result = std::move(r); });
  ASSERT_EQ(appender_.records.size(), 1u);
  // The follower read the record back before the broker's acknowledgement arrived.
  const auto& record = appender_.records[0];
  const auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
  ASSERT_TRUE(decoded.decoded);
  ASSERT_EQ(book_.Apply(decoded.decoded->event, decoded.decoded->metadata), domain::ApplyOutcome::kApplied);
  appender_.SettleAll();
  EXPECT_EQ(result->kind, Kind::kCreated);
  EXPECT_EQ(own_appends_.NoteCount(), 0u);
}

TEST_F(CommandProcessorTest, APersistedAppendIsNotedOnceForTheFollowerToPassOver) {
  Place(testing::PlaceOrderCommand());
  EXPECT_EQ(Change(Status::kConfirmed).kind, Kind::kOk);
  EXPECT_TRUE(own_appends_.Take(0, 0));
  EXPECT_TRUE(own_appends_.Take(0, 1));
  EXPECT_FALSE(own_appends_.Take(0, 1)) << "once";
}

TEST_F(CommandProcessorTest, FailedAppendAnswersUnavailableAndLeavesNoOrder) {
  std::optional<CommandResult> result;
  processor_.Place(testing::PlaceOrderCommand(), std::nullopt, kStaff, [&](CommandResult r) { result = std::move(r); });
  appender_.Settle(AppendOutcome::kFailed);
  EXPECT_EQ(result->kind, Kind::kUnavailable);
  EXPECT_FALSE(book_.Find(testing::kOrderId));
  EXPECT_EQ(Place(testing::PlaceOrderCommand()).kind, Kind::kCreated) << "a retry after a clean failure works";
}

TEST_F(CommandProcessorTest, UnknownOutcomeBlocksTheOrderUntilTheLogSettlesIt) {
  Place(testing::PlaceOrderCommand());
  std::optional<CommandResult> result;
  processor_.ChangeStatus(testing::ChangeStatusCommand(Status::kConfirmed), kStaff,
                          [&](CommandResult r) { result = r; });
  appender_.Settle(AppendOutcome::kUnknown);
  EXPECT_EQ(result->kind, Kind::kUnavailable);
  EXPECT_EQ(Change(Status::kShipped).kind, Kind::kUnavailable) << "must not decide on a state that may be stale";
  EXPECT_EQ(appender_.records.size(), 2u) << "no event appended while uncertain";
  book_.ClearUncertainBefore(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  EXPECT_EQ(Change(Status::kShipped).kind, Kind::kOk);
}

TEST_F(CommandProcessorTest, CommandsOnOneOrderWaitForThePreviousAppend) {
  Place(testing::PlaceOrderCommand());
  std::vector<CommandResult> results;
  for (Status to : {Status::kConfirmed, Status::kConfirmed, Status::kShipped, Status::kCancelled}) {
    processor_.ChangeStatus(testing::ChangeStatusCommand(to), kStaff, [&](CommandResult r) { results.push_back(r); });
  }
  EXPECT_EQ(appender_.pending.size(), 1u) << "only one append per order in flight";
  appender_.SettleAll();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].kind, Kind::kOk);
  EXPECT_EQ(results[1].kind, Kind::kOk);  // same status: no-op
  EXPECT_EQ(results[1].order->version, 2);
  EXPECT_EQ(results[2].kind, Kind::kOk);
  EXPECT_EQ(results[2].order->version, 3);
  EXPECT_EQ(results[3].kind, Kind::kRejected);
  EXPECT_EQ(results[3].rejection->kind, domain::RejectionKind::kTransitionNotAllowed);
  EXPECT_EQ(appender_.records.size(), 3u);  // placed, confirmed, shipped
}

TEST_F(CommandProcessorTest, RetriedPostWithSameKeyReturnsTheOriginalWithoutANewEvent) {
  const auto first = Place(testing::PlaceOrderCommand(""), "key-1");
  Change(Status::kConfirmed);  // the order moves on meanwhile (different id, so no effect)
  const auto retry = Place(testing::PlaceOrderCommand(""), "key-1");
  ASSERT_EQ(retry.kind, Kind::kCreated);
  EXPECT_EQ(retry.order->order_id, first.order->order_id);
  EXPECT_EQ(retry.order->version, 1);
  EXPECT_EQ(appender_.records.size(), 1u);
}

TEST_F(CommandProcessorTest, ConcurrentRetryWithSameKeyWaitsForTheFirst) {
  std::vector<CommandResult> results;
  processor_.Place(testing::PlaceOrderCommand(""), "key-2", kStaff, [&](CommandResult r) { results.push_back(r); });
  processor_.Place(testing::PlaceOrderCommand(""), "key-2", kStaff, [&](CommandResult r) { results.push_back(r); });
  appender_.SettleAll();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].kind, Kind::kCreated);
  EXPECT_EQ(results[1].kind, Kind::kCreated);
  EXPECT_EQ(results[0].order->order_id, results[1].order->order_id);
  EXPECT_EQ(appender_.records.size(), 1u);
}

TEST_F(CommandProcessorTest, SameKeyWithDifferentBodyIsAMismatch) {
  Place(testing::PlaceOrderCommand(""), "key-3");
  auto other = testing::PlaceOrderCommand("");
  other.customer_id = "someone-else";
  EXPECT_EQ(Place(other, "key-3").kind, Kind::kIdempotencyMismatch);
  EXPECT_EQ(appender_.records.size(), 1u);
}

TEST_F(CommandProcessorTest, KeyIsRecordedWithTheEventSoARebuildRestoresIt) {
  Place(testing::PlaceOrderCommand(""), "key-4");
  const auto decoded =
      codec::DecodeEvent(appender_.records[0].key, appender_.records[0].value, appender_.records[0].headers);
  ASSERT_TRUE(decoded.decoded);
  OrderBook rebuilt;
  rebuilt.SetKeyRetention(std::chrono::hours(24), [] { return testing::At(); });
  rebuilt.Apply(decoded.decoded->event, decoded.decoded->metadata);
  const auto key = rebuilt.FindKey("key-4");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->order_id, appender_.records[0].key);
  EXPECT_EQ(key->request_hash, RequestHash(testing::PlaceOrderCommand("")));
}

TEST_F(CommandProcessorTest, IfMatchMismatchIsRefusedWithoutAnEvent) {
  Place(testing::PlaceOrderCommand());
  const auto result = Change(Status::kConfirmed, 7);
  EXPECT_EQ(result.rejection->kind, domain::RejectionKind::kVersionMismatch);
  EXPECT_EQ(appender_.records.size(), 1u);
}

TEST_F(CommandProcessorTest, TooManyWaitingCommandsOnOneOrderAreRefused) {
  Place(testing::PlaceOrderCommand());
  int busy = 0;
  for (std::size_t i = 0; i < OrderBook::kMaxWaitingPerOrder + 5; ++i) {
    processor_.ChangeStatus(testing::ChangeStatusCommand(Status::kConfirmed), kStaff,
                            [&](CommandResult r) { busy += r.kind == Kind::kBusy ? 1 : 0; });
  }
  EXPECT_EQ(busy, 4);
  appender_.SettleAll();
}

TEST_F(CommandProcessorTest, OrdersOfPartitionsOwnedByAnotherInstanceAreRefusedWithoutAnEvent) {
  owns_ = false;
  EXPECT_EQ(Place(testing::PlaceOrderCommand()).kind, Kind::kNotOwner);
  EXPECT_TRUE(appender_.records.empty());
}

TEST_F(CommandProcessorTest, InvalidCommandsAreRefusedAsInvalidEvenWhenNotOwned) {
  owns_ = false;
  auto command = testing::PlaceOrderCommand();
  command.currency = "dollars";
  const auto result = Place(command);
  ASSERT_EQ(result.kind, Kind::kRejected);
  EXPECT_EQ(result.rejection->kind, domain::RejectionKind::kInvalid);
}

TEST_F(CommandProcessorTest, KeyRefusedByANonOwnerIsFreeForACorrectedRetry) {
  owns_ = false;
  EXPECT_EQ(Place(testing::PlaceOrderCommand(""), "key-5").kind, Kind::kNotOwner);
  owns_ = true;
  auto corrected = testing::PlaceOrderCommand("");
  corrected.customer_id = "customer-2";
  EXPECT_EQ(Place(corrected, "key-5").kind, Kind::kCreated) << "nothing was appended: the key was never used";
}

TEST_F(CommandProcessorTest, KeyOfAnAppendWithUnknownOutcomeIsFreedOnceTheLogShowsNoEvent) {
  std::optional<CommandResult> first;
  processor_.Place(testing::PlaceOrderCommand(""), "key-6", kStaff, [&](CommandResult r) { first = r; });
  appender_.Settle(AppendOutcome::kUnknown);
  ASSERT_EQ(first->kind, Kind::kUnavailable);
  auto corrected = testing::PlaceOrderCommand("");
  corrected.customer_id = "customer-2";
  EXPECT_EQ(Place(corrected, "key-6").kind, Kind::kUnavailable)
      << "while the first event may still be in the log, neither 422 nor a second order";
  EXPECT_EQ(Place(testing::PlaceOrderCommand(""), "key-6").kind, Kind::kUnavailable);
  EXPECT_EQ(appender_.records.size(), 1u);
  // The log follower read past the point where the event could be, and it was not there.
  book_.ClearUncertainBefore(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  const auto retried = Place(corrected, "key-6");
  ASSERT_EQ(retried.kind, Kind::kCreated);
  EXPECT_EQ(retried.order->customer_id, "customer-2");
}

TEST_F(CommandProcessorTest, KeyOfAnAppendWithUnknownOutcomeThatDidLandReplaysTheOriginal) {
  std::optional<CommandResult> first;
  processor_.Place(testing::PlaceOrderCommand(""), "key-7", kStaff, [&](CommandResult r) { first = r; });
  appender_.Settle(AppendOutcome::kUnknown);
  // The log follower finds the event in the log after all.
  const auto decoded =
      codec::DecodeEvent(appender_.records[0].key, appender_.records[0].value, appender_.records[0].headers);
  ASSERT_TRUE(decoded.decoded);
  book_.Apply(decoded.decoded->event, decoded.decoded->metadata);
  book_.ClearUncertainBefore(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  const auto retry = Place(testing::PlaceOrderCommand(""), "key-7");
  ASSERT_EQ(retry.kind, Kind::kCreated);
  EXPECT_EQ(retry.order->order_id, appender_.records[0].key);
  auto corrected = testing::PlaceOrderCommand("");
  corrected.customer_id = "customer-2";
  EXPECT_EQ(Place(corrected, "key-7").kind, Kind::kIdempotencyMismatch) << "the key was used after all";
  EXPECT_EQ(appender_.records.size(), 1u);
}

TEST(Partitioning, IsStableAndSpreadsOrdersOverAllPartitions) {
  EXPECT_EQ(PartitionOf("6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c", 6),
            PartitionOf("6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c", 6));
  std::vector<int> counts(6);
  for (int i = 0; i < 6000; ++i) ++counts[static_cast<std::size_t>(PartitionOf("order-" + std::to_string(i), 6))];
  for (int count : counts) EXPECT_GT(count, 800);
}

TEST(Partitioning, ANewOrderWithoutAKeyGetsAnIdInAPartitionThisInstanceWrites) {
  const std::set<std::int32_t> writable = {2, 5};
  for (int i = 0; i < 500; ++i) {
    const auto id = NewOrderId([] { return platform::NewUuid(); }, std::nullopt, 12,
                               [&](std::int32_t partition) { return writable.count(partition) > 0; });
    EXPECT_TRUE(writable.count(PartitionOf(id, 12))) << id;
  }
}

TEST(Partitioning, ANewOrderWithAKeyGetsAnIdInTheKeysPartitionWhicheverInstanceDrawsIt) {
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "retry-me-" + std::to_string(i % 4);
    const auto id = NewOrderId([] { return platform::NewUuid(); }, key, 12, [](std::int32_t) { return false; });
    EXPECT_EQ(PartitionOf(id, 12), PartitionOf(key, 12)) << key;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 200u) << "a fresh id every time: the writer, not the id, makes retries idempotent";
}

TEST(Partitioning, WithNoWritablePartitionTheDrawStopsAndTheIdIsRefusedLaterAsNotOwned) {
  int drawn = 0;
  const auto id = NewOrderId(
      [&] {
        ++drawn;
        return platform::NewUuid();
      },
      std::nullopt, 12, [](std::int32_t) { return false; });
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(drawn, 256);
}

TEST_F(CommandProcessorTest, AnOrderPlacedWithoutAnIdGetsOneChosenForItsKey) {
  std::vector<std::optional<std::string>> asked;
  CommandProcessor processor({book_, appender_, [] { return testing::At(); }, [] { return platform::NewUuid(); },
                              "/test", [](const std::string&) -> std::optional<std::int32_t> { return 0; }, false,
                              [&](const std::optional<std::string>& key) {
                                asked.push_back(key);
                                return std::string(key ? "00000000-0000-4000-8000-00000000000b"
                                                       : "00000000-0000-4000-8000-00000000000a");
                              }});
  CommandResult with_key, without_key;
  processor.Place(testing::PlaceOrderCommand(""), "key-1", kStaff, [&](CommandResult r) { with_key = std::move(r); });
  processor.Place(testing::PlaceOrderCommand(""), std::nullopt, kStaff,
                  [&](CommandResult r) { without_key = std::move(r); });
  appender_.SettleAll();
  ASSERT_EQ(with_key.kind, Kind::kCreated);
  ASSERT_EQ(without_key.kind, Kind::kCreated);
  EXPECT_EQ(with_key.order->order_id, "00000000-0000-4000-8000-00000000000b");
  EXPECT_EQ(without_key.order->order_id, "00000000-0000-4000-8000-00000000000a");
  EXPECT_EQ(asked, (std::vector<std::optional<std::string>>{std::string("key-1"), std::nullopt}));
}

}  // namespace
}  // namespace orders::command

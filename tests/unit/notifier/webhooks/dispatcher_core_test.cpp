// The dispatcher's decisions with a fake registry, ledger and clock: order
// per subject, isolation of a hanging endpoint, retries on the schedule,
// failure after it, disabling, resume offsets and revocation.

#include <gtest/gtest.h>

#include <orders/codec/trace_context.hpp>
#include <orders/notifier/webhooks/dispatcher_core.hpp>
#include <orders/notifier/webhooks/dispatcher_metrics.hpp>

#include "dispatch_fakes.hpp"

namespace orders::notifier::webhooks {
namespace {

using namespace std::chrono_literals;
using testing::TestLedger;
using testing::TestRegistry;

constexpr const char* kOrders = "orders.events";

std::string EventId(std::int32_t partition, std::int64_t offset) {
  return "evt-" + std::to_string(partition) + "-" + std::to_string(offset);
}

platform::ConsumedRecord Record(std::int64_t offset, const std::string& key,
                                const std::string& type = "order.status_changed.v1", std::int32_t partition = 0,
                                const std::string& topic = kOrders) {
  platform::ConsumedRecord record;
  record.topic = topic;
  record.partition = partition;
  record.offset = offset;
  record.key = key;
  record.value = R"({"orderId":")" + key + R"(","version":1})";
  record.headers = {{"ce_specversion", "1.0"},
                    {"ce_id", EventId(partition, offset)},
                    {"ce_type", type},
                    {"ce_source", "/test"},
                    {"ce_time", "2026-12-05T01:00:00.000Z"},
                    {"ce_subject", key},
                    {"content-type", "application/json"}};
  return record;
}

PostOutcome Delivered() { return {true, 204, "", 5ms}; }
PostOutcome Failed() { return {false, 500, "HTTP 500", 5ms}; }

class DispatcherCoreTest : public ::testing::Test {
 protected:
  DispatcherCoreTest() { policy.retry_schedule = {5s, 30s, 2min}; }

  DispatcherCore& Core() {
    if (!core) {
      core = std::make_unique<DispatcherCore>(registry, ledger, policy, [this] { return random; });
      core->RefreshEndpoints(now);
      core->Assign(
          kOrders, {0, 1}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
    }
    return *core;
  }

  // The core once the ledger writer caught up (the Dispatcher's writer
  // thread writes within milliseconds; these tests write at once).
  DispatcherCore& Settled() {
    Core().WriteNow();
    return *core;
  }
  TestLedger& Ledger() {
    Settled();
    return ledger;
  }

  // Every attempt handed out now, in order.
  std::vector<Attempt> TakeAll() {
    std::vector<Attempt> attempts;
    while (auto attempt = Core().NextAttempt()) attempts.push_back(std::move(*attempt));
    return attempts;
  }

  TestRegistry registry;
  TestLedger ledger;
  DispatchPolicy policy;
  double random = 0.5;
  WallClock::time_point now = WallClock::time_point(std::chrono::hours(24 * 20700));
  std::unique_ptr<DispatcherCore> core;
};

TEST_F(DispatcherCoreTest, OneSubjectsEventsGoInLogOrderOneAtATimeWhileOtherSubjectsGoInParallel) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-1"), now);
  Core().OnRecord(Record(1, "order-1"), now);
  Core().OnRecord(Record(2, "order-2"), now);
  Core().OnRecord(Record(3, "order-1"), now);

  auto first = TakeAll();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].delivery.offset, 0);
  EXPECT_EQ(first[1].delivery.offset, 2) << "order-1's next event must wait for its first";
  EXPECT_EQ(first[0].request.message_id, EventId(0, 0));
  EXPECT_EQ(first[0].request.url, "http://receiver.test/ep_a");

  Core().Finish(first[1], Delivered(), now);
  EXPECT_TRUE(TakeAll().empty());
  Core().Finish(first[0], Delivered(), now);
  auto second = TakeAll();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].delivery.offset, 1);
  Core().Finish(second[0], Delivered(), now);
  auto third = TakeAll();
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].delivery.offset, 3);
}

TEST_F(DispatcherCoreTest, AnEndpointHasAtMostItsConcurrencyInFlight) {
  policy.endpoint_concurrency = 2;
  registry.Add("ep_a", {"*"});
  for (int i = 0; i < 5; ++i) Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
  auto attempts = TakeAll();
  ASSERT_EQ(attempts.size(), 2u);
  Core().Finish(attempts[0], Delivered(), now);
  EXPECT_EQ(TakeAll().size(), 1u);
}

TEST_F(DispatcherCoreTest, AnAttemptIsOnOfferOnlyWhenNextAttemptWouldHandOneOut) {
  policy.endpoint_concurrency = 2;
  registry.Add("ep_a", {"*"});
  EXPECT_FALSE(Core().HasAttempt()) << "nothing queued";
  Core().OnRecord(Record(0, "order-1"), now);
  Core().OnRecord(Record(1, "order-1"), now);
  EXPECT_TRUE(Core().HasAttempt());
  auto first = TakeAll();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(Core().HasAttempt()) << "the only queued event waits for its subject's attempt in flight";
  Core().OnRecord(Record(2, "order-2"), now);
  Core().OnRecord(Record(3, "order-3"), now);
  EXPECT_TRUE(Core().HasAttempt());
  EXPECT_EQ(TakeAll().size(), 1u);
  EXPECT_FALSE(Core().HasAttempt()) << "the endpoint is at its concurrency";
  Core().Finish(first[0], Delivered(), now);
  EXPECT_TRUE(Core().HasAttempt());
}

TEST_F(DispatcherCoreTest, NoEndpointTakesMoreThanAQuarterOfTheWorkers) {
  policy.workers = 8;
  registry.Add("ep_a", {"*"});
  for (int i = 0; i < 5; ++i) Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
  EXPECT_EQ(TakeAll().size(), 2u);
}

TEST_F(DispatcherCoreTest, AFailingEndpointIsProbedOneAttemptAtATime) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 5; ++i) Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
  now += 1min;
  Settled().TakeDue(now);
  auto probe = TakeAll();
  ASSERT_EQ(probe.size(), 1u) << "one attempt until the endpoint answers again";
  Core().Finish(probe[0], Delivered(), now);
  EXPECT_EQ(TakeAll().size(), 4u) << "then its full concurrency";
}

TEST_F(DispatcherCoreTest, OnlyEndpointsWhosePatternsMatchGetTheEvent) {
  registry.Add("ep_orders", {"order.*"});
  registry.Add("ep_placed", {"order.placed"});
  registry.Add("ep_stock", {"inventory.*"});
  Core().OnRecord(Record(0, "order-1", "order.status_changed.v1"), now);
  Core().OnRecord(Record(1, "order-2", "order.placed.v1"), now);
  std::multiset<std::string> got;
  for (const auto& attempt : TakeAll()) got.insert(attempt.delivery.endpoint_id + "@" + attempt.delivery.event_type);
  EXPECT_EQ(got, (std::multiset<std::string>{"ep_orders@order.status_changed", "ep_orders@order.placed",
                                             "ep_placed@order.placed"}));
}

TEST_F(DispatcherCoreTest, AFailedAttemptIsKeptForARetryWithEqualJitterOnTheFirstStep) {
  registry.Add("ep_a", {"*"});
  for (double drawn : {0.0, 0.999}) {
    random = drawn;
    const std::int64_t offset = drawn == 0.0 ? 0 : 1;
    Core().OnRecord(Record(offset, "order-" + std::to_string(offset)), now);
    auto attempts = TakeAll();
    ASSERT_EQ(attempts.size(), 1u);
    Core().Finish(attempts[0], Failed(), now);
    const Delivery* kept = Ledger().Find("ep_a", EventId(0, offset));
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->status, DeliveryStatus::kPending);
    EXPECT_EQ(kept->attempts, 1);
    EXPECT_EQ(kept->last_http_status, 500);
    EXPECT_EQ(kept->last_error, "HTTP 500");
    EXPECT_GE(kept->next_attempt_at, now + 2500ms) << "equal jitter waits at least half the step";
    EXPECT_LE(kept->next_attempt_at, now + 5s);
    now += 10s;  // past the endpoint's back-off
    Settled().TakeDue(now - 1s);
    for (auto& attempt : TakeAll()) Core().Finish(attempt, Delivered(), now);
  }
}

TEST_F(DispatcherCoreTest, AfterTheLastRetryFailsTheDeliveryIsListedAsFailed) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-1"), now);
  int attempts = 0;
  for (int round = 0; round < 10; ++round) {
    for (auto& attempt : TakeAll()) {
      ++attempts;
      Core().Finish(attempt, Failed(), now);
    }
    now += 3min;
    Settled().TakeDue(now);
  }
  const Delivery* kept = Ledger().Find("ep_a", EventId(0, 0));
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->status, DeliveryStatus::kFailed);
  EXPECT_EQ(kept->attempts, 4) << "the first attempt and one retry per step of the schedule";
  EXPECT_EQ(attempts, 4);
}

TEST_F(DispatcherCoreTest, RetriesWaitTheScheduledStepsInTurn) {
  registry.Add("ep_a", {"*"});
  random = 0.999;
  Core().OnRecord(Record(0, "order-1"), now);
  auto first = TakeAll();
  Core().Finish(first[0], Failed(), now);
  Settled().TakeDue(now + 4s);
  EXPECT_TRUE(TakeAll().empty()) << "not due before the first step";
  now += 5s;
  Settled().TakeDue(now);
  auto second = TakeAll();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].delivery.attempts, 1);
  Core().Finish(second[0], Failed(), now);
  const Delivery* kept = Ledger().Find("ep_a", EventId(0, 0));
  EXPECT_GE(kept->next_attempt_at, now + 15s);
  EXPECT_LE(kept->next_attempt_at, now + 30s);
}

TEST_F(DispatcherCoreTest, LaterEventsOfAFailedSubjectWaitBehindItAndLeaveInOrder) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-1"), now);
  Core().OnRecord(Record(1, "order-1"), now);
  auto first = TakeAll();
  ASSERT_EQ(first.size(), 1u);
  Core().Finish(first[0], Failed(), now);
  now += 10s;  // the endpoint's back-off is over
  Core().OnRecord(Record(2, "order-1"), now);
  EXPECT_TRUE(TakeAll().empty()) << "order-1 waits in the ledger behind offset 0";
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 3u);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 3) << "kept deliveries are resolved";

  std::vector<std::int64_t> order;
  for (int round = 0; round < 5; ++round) {
    Settled().TakeDue(now);
    for (auto& attempt : TakeAll()) {
      order.push_back(attempt.delivery.offset);
      Core().Finish(attempt, Delivered(), now);
    }
  }
  EXPECT_EQ(order, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kDelivered), 3u);

  Core().OnRecord(Record(3, "order-1"), now);
  auto live = TakeAll();
  ASSERT_EQ(live.size(), 1u) << "once its waiting deliveries are delivered the subject goes direct again";
  EXPECT_FALSE(live[0].kept);
}

TEST_F(DispatcherCoreTest, AWaitingDeliveryDueBeforeItsSubjectsHeadIsPushedBehindIt) {
  registry.Add("ep_a", {"*"});
  policy.due_batch = 1;  // the head's retry is taken alone, its follower in a later pass
  Core().OnRecord(Record(0, "order-1"), now);
  Core().OnRecord(Record(1, "order-1"), now);
  auto first = TakeAll();
  Core().Finish(first[0], Failed(), now);  // offset 1 follows it into the ledger
  now += 10s;
  Settled().TakeDue(now);
  auto retry = TakeAll();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].delivery.offset, 0);
  Core().Finish(retry[0], Failed(), now);  // the head now waits 15-30 s
  now += 6s;
  Settled().TakeDue(now);  // offset 1 is due (it was due with the head's first retry)
  EXPECT_TRUE(TakeAll().empty()) << "offset 1 must not overtake offset 0";
  const Delivery* follower = Ledger().Find("ep_a", EventId(0, 1));
  const Delivery* head = Ledger().Find("ep_a", EventId(0, 0));
  EXPECT_GE(follower->next_attempt_at, head->next_attempt_at);
}

TEST_F(DispatcherCoreTest, AHangingEndpointSpillsToTheLedgerAndNeverDelaysAHealthyOne) {
  policy.queue_per_endpoint = 3;
  policy.endpoint_concurrency = 1;
  registry.Add("ep_hanging", {"*"});
  registry.Add("ep_healthy", {"*"});
  Core();
  std::optional<Attempt> hanging;  // taken and never finished
  int healthy = 0;
  for (int i = 0; i < 50; ++i) {
    Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
    for (auto& attempt : TakeAll()) {
      if (attempt.delivery.endpoint_id == "ep_hanging") {
        ASSERT_FALSE(hanging) << "the hanging endpoint has one attempt in flight at most";
        hanging = attempt;
      } else {
        ++healthy;
        Core().Finish(attempt, Delivered(), now);
      }
    }
  }
  EXPECT_EQ(healthy, 50) << "every event reached the healthy endpoint at once";
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 50u - 1 - 3) << "beyond its queue, events wait in the ledger";
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 0) << "the attempt in flight holds the resume offset";
  ASSERT_TRUE(hanging);
  Core().Finish(*hanging, {false, 0, "timeout", 10s}, now);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 50)
      << "after the timeout it is kept, and the queue moved to the ledger";
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 50u);
}

TEST_F(DispatcherCoreTest, AnEndpointHoldsAtMostItsQueueOfRetriesInMemory) {
  policy.queue_per_endpoint = 2;
  registry.Add("ep_a", {"*"});
  for (int i = 0; i < 7; ++i) Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
  EXPECT_EQ(Core().QueuedCount(), 2u);
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 5u);
  Settled().TakeDue(now);
  EXPECT_EQ(Core().QueuedCount(), 4u) << "two queued events and two retries taken from the ledger";
}

TEST_F(DispatcherCoreTest, ReadingWaitsForAHealthyEndpointWithAFullQueueWhenNoOtherCouldWorkMeanwhile) {
  policy.queue_per_endpoint = 2;
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  EXPECT_FALSE(Core().ReadingWaits(Record(1, "order-1"), now)) << "room left in the queue";
  Core().OnRecord(Record(1, "order-1"), now);
  EXPECT_TRUE(Core().ReadingWaits(Record(2, "order-2"), now)) << "full: the record stays in Kafka a moment";
  EXPECT_FALSE(Core().ReadingWaits(Record(2, "order-2"), now, 3)) << "below a higher mark";
  Core().NextAttempt();
  EXPECT_FALSE(Core().ReadingWaits(Record(2, "order-2"), now)) << "an attempt left the queue";
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 0u) << "nothing spilled";
}

TEST_F(DispatcherCoreTest, AFullEndpointNeverMakesReadingWaitWhileAnotherEndpointOfTheTopicHasRoom) {
  policy.queue_per_endpoint = 2;
  registry.Add("ep_placed", {"order.placed"});
  registry.Add("ep_other", {"order.status_changed"});
  Core().OnRecord(Record(0, "order-0", "order.status_changed.v1"), now);  // the topic carries ep_other's events
  Core().OnRecord(Record(1, "order-1", "order.placed.v1"), now);
  Core().OnRecord(Record(2, "order-2", "order.placed.v1"), now);
  EXPECT_FALSE(Core().ReadingWaits(Record(3, "order-3", "order.placed.v1"), now))
      << "events for ep_other may be behind it: the record goes on and spills for ep_placed";
  Core().OnRecord(Record(3, "order-3", "order.status_changed.v1"), now);
  EXPECT_TRUE(Core().ReadingWaits(Record(4, "order-4", "order.placed.v1"), now)) << "both full now";
}

TEST_F(DispatcherCoreTest, AnEndpointForAnEventOfTheTopicNotSeenYetCountsAsRoom) {
  policy.queue_per_endpoint = 1;
  registry.Add("ep_placed", {"order.placed"});
  registry.Add("ep_refunds", {"order.payment_refunded"});
  Core().OnRecord(Record(0, "order-0", "order.placed.v1"), now);
  EXPECT_FALSE(Core().ReadingWaits(Record(1, "order-1", "order.placed.v1"), now))
      << "a refund may be next in the topic: ep_refunds must not wait behind ep_placed";
}

TEST_F(DispatcherCoreTest, AnEndpointThatTakesNothingOfTheTopicDoesNotCountAsRoom) {
  policy.queue_per_endpoint = 1;
  registry.Add("ep_orders", {"order.*"});
  registry.Add("ep_stock", {"inventory.*"});
  Core().OnRecord(Record(0, "order-0"), now);
  EXPECT_TRUE(Core().ReadingWaits(Record(1, "order-1"), now));
}

TEST_F(DispatcherCoreTest, AFailingOrBackingOffEndpointNeverMakesReadingWait) {
  policy.queue_per_endpoint = 1;
  policy.endpoint_concurrency = 1;
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  Core().OnRecord(Record(1, "order-1"), now);
  EXPECT_FALSE(Core().ReadingWaits(Record(2, "order-2"), now)) << "backing off: its events go to the ledger";
  now += 1h;
  Settled().TakeDue(now);
  EXPECT_FALSE(Core().ReadingWaits(Record(2, "order-2"), now)) << "still failing until an attempt succeeds";
}

TEST_F(DispatcherCoreTest, ARecordBehindItsSubjectsWaitingDeliveryDoesNotMakeReadingWait) {
  policy.queue_per_endpoint = 1;
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  Core().OnRecord(Record(1, "order-1"), now);  // spilled: order-1 now waits in the ledger
  Core().NextAttempt();
  Core().OnRecord(Record(2, "order-2"), now);
  EXPECT_TRUE(Core().ReadingWaits(Record(3, "order-3"), now));
  EXPECT_FALSE(Core().ReadingWaits(Record(3, "order-1"), now)) << "it goes to the ledger behind its subject anyway";
}

TEST_F(DispatcherCoreTest, AFailingEndpointBacksOffAndWhatArrivesMeanwhileWaitsInTheLedger) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-1"), now);
  auto first = TakeAll();
  Core().Finish(first[0], Failed(), now);
  Core().OnRecord(Record(1, "order-2"), now + 1s);
  EXPECT_TRUE(TakeAll().empty());
  const Delivery* waiting = Ledger().Find("ep_a", EventId(0, 1));
  ASSERT_NE(waiting, nullptr);
  EXPECT_EQ(waiting->attempts, 0);
  EXPECT_GE(waiting->next_attempt_at, now + 2500ms);
  now += 6s;
  Settled().TakeDue(now);
  auto probe = TakeAll();
  ASSERT_EQ(probe.size(), 1u) << "the failing endpoint is probed with one attempt";
  EXPECT_EQ(probe[0].delivery.offset, 0);
  Core().Finish(probe[0], Delivered(), now);
  auto rest = TakeAll();
  ASSERT_EQ(rest.size(), 1u) << "the event that arrived during the back-off leaves after it";
  EXPECT_EQ(rest[0].delivery.offset, 1);
}

TEST_F(DispatcherCoreTest, AnEndpointFailingLongerThanThePeriodIsDisabledAndGetsNothingMore) {
  policy.disable_after = 1h;
  policy.retry_schedule = {1min};
  registry.Add("ep_dead", {"*"});
  registry.Add("ep_ok", {"*"});
  const auto started = now;
  Core().OnRecord(Record(0, "order-1"), now);
  for (auto& attempt : TakeAll())
    Core().Finish(attempt, attempt.delivery.endpoint_id == "ep_ok" ? Delivered() : Failed(), now);
  EXPECT_FALSE(registry.Get("ep_dead")->disabled);
  now += 61min;
  Settled().TakeDue(now);
  for (auto& attempt : TakeAll()) Core().Finish(attempt, Failed(), now);
  const auto dead = registry.Get("ep_dead");
  EXPECT_TRUE(dead->disabled);
  EXPECT_EQ(dead->disabled_reason, DisabledReason(started));
  EXPECT_FALSE(registry.Get("ep_ok")->disabled);

  Core().OnRecord(Record(1, "order-2"), now);
  auto after = TakeAll();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].delivery.endpoint_id, "ep_ok");
  EXPECT_EQ(Ledger().Find("ep_dead", EventId(0, 1)), nullptr);
}

TEST_F(DispatcherCoreTest, ASuccessClearsTheFailingPeriod) {
  policy.disable_after = 1h;
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-1"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  now += 30min;
  Settled().TakeDue(now);
  Core().Finish(TakeAll().at(0), Delivered(), now);
  now += 45min;
  Core().OnRecord(Record(1, "order-2"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  EXPECT_FALSE(registry.Get("ep_a")->disabled) << "failing for 0 min, not 75";
}

TEST_F(DispatcherCoreTest, TheResumeOffsetNeverPassesAnUnresolvedEvent) {
  registry.Add("ep_a", {"*"});
  for (int i = 0; i < 5; ++i) Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
  auto attempts = TakeAll();
  ASSERT_EQ(attempts.size(), 4u);  // the default concurrency
  for (std::size_t i = 1; i < attempts.size(); ++i) Core().Finish(attempts[i], Delivered(), now);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 0);
  Core().SaveProgress();
  EXPECT_EQ(Ledger().ResumeOffset(kOrders, 0), 0);
  Core().Finish(attempts[0], Delivered(), now);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 4) << "offset 4 is still queued";
  Core().Finish(TakeAll().at(0), Delivered(), now);
  Core().SaveProgress();
  EXPECT_EQ(Ledger().ResumeOffset(kOrders, 0), 5);
}

TEST_F(DispatcherCoreTest, RecordsNoEndpointWantsAndRecordsThatAreNotCloudEventsDoNotHoldTheOffset) {
  registry.Add("ep_a", {"inventory.*"});
  Core().OnRecord(Record(0, "order-1"), now);
  auto broken = Record(1, "order-1");
  broken.headers.clear();
  Core().OnRecord(broken, now);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 2);
}

TEST_F(DispatcherCoreTest, AssignmentStartsFromTheLedgerOrElseTheEndWhichIsSavedAtOnce) {
  ledger.SaveResumeOffset(kOrders, 0, 42);
  DispatcherCore fresh(registry, ledger, policy, [] { return 0.5; });
  const auto starts = fresh.Assign(
      kOrders, {0, 1, 2},
      [](platform::Partition partition) {
        return partition == 2 ? std::nullopt : std::optional<platform::Offset>(100 + partition);
      },
      now);
  EXPECT_EQ(starts.at(0), 42);
  EXPECT_EQ(starts.at(1), 101) << "no history: from the end";
  EXPECT_EQ(starts.at(2), platform::kOffsetEnd);
  EXPECT_EQ(Ledger().ResumeOffset(kOrders, 1), 101) << "saved before any record arrives";
  EXPECT_EQ(Ledger().ResumeOffset(kOrders, 2), std::nullopt);
}

TEST_F(DispatcherCoreTest, RevokedPartitionsKeepWhatIsInFlightSaveWhereTheyResumeAndDropTheirQueue) {
  policy.endpoint_concurrency = 1;
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(7, "order-1", "order.placed.v1", 1), now);
  Core().OnRecord(Record(8, "order-2", "order.placed.v1", 1), now);
  Core().OnRecord(Record(3, "order-3", "order.placed.v1", 0), now);
  auto in_flight = TakeAll();
  ASSERT_EQ(in_flight.size(), 1u);
  ASSERT_EQ(in_flight[0].delivery.partition, 1);

  Core().Revoke(kOrders, {1}, now);
  const Delivery* kept = Ledger().Find("ep_a", EventId(1, 7));
  ASSERT_NE(kept, nullptr) << "the attempt in flight is kept: the next owner need not wait for it";
  EXPECT_EQ(kept->status, DeliveryStatus::kPending);
  EXPECT_EQ(Ledger().ResumeOffset(kOrders, 1), 8) << "the next owner redoes the queued event";
  EXPECT_EQ(Ledger().Find("ep_a", EventId(1, 8)), nullptr);
  EXPECT_EQ(Core().Owned(kOrders), (std::vector<platform::Partition>{0}));

  Core().Finish(in_flight[0], Delivered(), now);
  EXPECT_EQ(Ledger().Find("ep_a", EventId(1, 7))->status, DeliveryStatus::kDelivered) << "its outcome is recorded";
  auto rest = TakeAll();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].delivery.partition, 0) << "the revoked partition's queued event was dropped";
  Core().OnRecord(Record(9, "order-2", "order.placed.v1", 1), now);
  EXPECT_EQ(Ledger().ResumeOffset(kOrders, 1), 8) << "a stray record of a revoked partition is ignored";
}

TEST_F(DispatcherCoreTest, SubjectsWaitingInTheLedgerAtAssignmentKeepTheirOrder) {
  registry.Add("ep_a", {"*"});
  Delivery waiting;
  waiting.endpoint_id = "ep_a";
  waiting.event_id = "evt-old";
  waiting.subject = "order-1";
  waiting.topic = kOrders;
  waiting.partition = 0;
  waiting.offset = 0;
  waiting.body = "{}";
  waiting.attempts = 2;
  waiting.next_attempt_at = now + 1h;
  ledger.Keep(waiting);
  ledger.SaveResumeOffset(kOrders, 0, 1);

  Core().OnRecord(Record(1, "order-1"), now);
  Core().OnRecord(Record(2, "order-2"), now);
  auto attempts = TakeAll();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].delivery.subject, "order-2");
  const Delivery* behind = Ledger().Find("ep_a", EventId(0, 1));
  ASSERT_NE(behind, nullptr) << "order-1's new event waits in the ledger behind the old one";
  EXPECT_EQ(behind->status, DeliveryStatus::kPending);
  EXPECT_GE(behind->next_attempt_at, now + 1h) << "not due before the delivery it waits behind";

  now += 1min;
  Settled().TakeDue(now);
  EXPECT_TRUE(TakeAll().empty()) << "the new event must not overtake the one due in an hour";
  now += 1h;
  Settled().TakeDue(now);
  auto retries = TakeAll();
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].delivery.event_id, "evt-old");
  Core().Finish(retries[0], Delivered(), now);
  auto next = TakeAll();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].delivery.offset, 1);
}

TEST_F(DispatcherCoreTest, ADeletedEndpointLosesItsQueueAndReleasesTheOffsets) {
  policy.endpoint_concurrency = 1;
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-1"), now);
  Core().OnRecord(Record(1, "order-2"), now);
  auto in_flight = TakeAll();
  registry.Delete("ep_a");
  Core().RefreshEndpoints(now);
  Core().Finish(in_flight.at(0), Delivered(), now);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 2);
  EXPECT_TRUE(TakeAll().empty());
}

TEST_F(DispatcherCoreTest, EndpointsRegisteredLaterArePickedUpByTheRefresh) {
  Core().OnRecord(Record(0, "order-1"), now);
  EXPECT_TRUE(TakeAll().empty());
  registry.Add("ep_new", {"order.*"});
  Core().RefreshEndpoints(now);
  Core().OnRecord(Record(1, "order-1"), now);
  auto attempts = TakeAll();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].delivery.offset, 1);
}

TEST_F(DispatcherCoreTest, AReplayedDeliveryIsRetriedAndItsSubjectKeepsItsOrder) {
  policy.retry_schedule = {1s};
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-1"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  now += 2s;
  Settled().TakeDue(now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  ASSERT_EQ(Ledger().Find("ep_a", EventId(0, 0))->status, DeliveryStatus::kFailed);
  EXPECT_EQ(ledger.Replay("ep_a", WallClock::time_point{}), 1u);
  now += 2s;
  Settled().TakeDue(now);
  Core().OnRecord(Record(1, "order-1"), now);
  auto attempts = TakeAll();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].delivery.offset, 0);
  Core().Finish(attempts[0], Delivered(), now);
  EXPECT_EQ(Ledger().Find("ep_a", EventId(0, 0))->status, DeliveryStatus::kDelivered);
}

// Ledger writes leave the reading thread: what a record, a failure or a
// back-off keeps is buffered for the Dispatcher's writer (one transaction per
// batch), and the offset stays open until the write committed.
TEST_F(DispatcherCoreTest, RecordsForABackingOffEndpointAreBufferedNotWrittenOnTheReadingThread) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);  // backing off from now on
  Core().WriteNow();
  const int keeps_before = ledger.keeps;
  for (int i = 1; i <= 20; ++i) Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
  EXPECT_EQ(ledger.keeps, keeps_before) << "no ledger write while reading";
  EXPECT_EQ(Core().UnwrittenCount(), 20u);
  EXPECT_EQ(Core().ResumeOffset(kOrders, 0), 1) << "unwritten deliveries hold their offsets";
  auto batch = Core().TakeUnwritten();
  ASSERT_EQ(batch.size(), 20u);
  EXPECT_EQ(batch.front().delivery.offset, 1) << "oldest first";
  std::vector<Delivery> rows;
  for (const auto& entry : batch) rows.push_back(entry.delivery);
  ledger.KeepAll(rows);  // what the writer thread does, outside the lock
  EXPECT_EQ(Core().ResumeOffset(kOrders, 0), 1) << "not resolved before the core hears the write committed";
  Core().Written(batch);
  EXPECT_EQ(Core().ResumeOffset(kOrders, 0), 21);
  EXPECT_EQ(ledger.Count(DeliveryStatus::kPending), 21u);
}

TEST_F(DispatcherCoreTest, AFailedLedgerWriteIsTriedAgainInOrderAndKeepsTheOffsetOpen) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  auto failed = Core().TakeUnwritten();
  ASSERT_EQ(failed.size(), 1u);
  Core().OnRecord(Record(1, "order-1"), now);  // spilled meanwhile
  Core().NotWritten(std::move(failed));
  EXPECT_EQ(Core().ResumeOffset(kOrders, 0), 0);
  auto again = Core().TakeUnwritten();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].delivery.offset, 0) << "the failed batch goes first";
  EXPECT_EQ(again[1].delivery.offset, 1);
  Core().NotWritten(std::move(again));
  Core().WriteNow();
  EXPECT_EQ(Core().ResumeOffset(kOrders, 0), 2);
  EXPECT_EQ(ledger.Count(DeliveryStatus::kPending), 2u);
}

// A retry delivered whose "delivered" is not written yet: the ledger's row
// still says pending and due, and must not be sent again.
TEST_F(DispatcherCoreTest, ARowOlderThanWhatTheCoreKnowsIsNotRetriedAgain) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  now += 10s;
  Settled().TakeDue(now);
  auto retry = TakeAll();
  ASSERT_EQ(retry.size(), 1u);
  Core().Finish(retry[0], Delivered(), now);  // "delivered" waits for the writer
  Core().TakeDue(now + 1s);
  EXPECT_TRUE(TakeAll().empty());
  EXPECT_EQ(Ledger().Find("ep_a", EventId(0, 0))->status, DeliveryStatus::kDelivered);
}

TEST_F(DispatcherCoreTest, RevokingAPartitionWritesWhatWasKeptBeforeSavingWhereItResumes) {
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0", "order.status_changed.v1", 1), now);
  Core().Finish(TakeAll().at(0), Failed(), now);                             // kept, unwritten
  Core().OnRecord(Record(1, "order-1", "order.status_changed.v1", 1), now);  // spilled, unwritten
  Core().Revoke(kOrders, {1}, now);
  EXPECT_EQ(Core().UnwrittenCount(), 0u);
  EXPECT_EQ(ledger.Count(DeliveryStatus::kPending), 2u);
  EXPECT_EQ(ledger.ResumeOffset(kOrders, 1), 2) << "both are in the ledger: the next owner starts after them";
}

TEST_F(DispatcherCoreTest, EachAttemptIsAChildSpanOfTheEventsTraceEvenFromTheLedger) {
  registry.Add("ep_a", {"*"});
  const std::string event_trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto record = Record(0, "order-0");
  record.headers.emplace_back("traceparent", event_trace);
  Core().OnRecord(record, now);
  auto first = TakeAll();
  ASSERT_EQ(first.size(), 1u);
  const auto sent = codec::ParseTraceParent(first[0].request.traceparent);
  ASSERT_TRUE(sent) << first[0].request.traceparent;
  EXPECT_EQ(sent->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(sent->parent_id, "00f067aa0ba902b7") << "a span of its own, child of the event's";
  Core().Finish(first[0], Failed(), now);
  now += 10s;
  Settled().TakeDue(now);
  auto retry = TakeAll();
  ASSERT_EQ(retry.size(), 1u);
  const auto resent = codec::ParseTraceParent(retry[0].request.traceparent);
  ASSERT_TRUE(resent);
  EXPECT_EQ(resent->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(resent->parent_id, sent->parent_id) << "every attempt is a new span";

  Core().OnRecord(Record(1, "order-1"), now);  // no traceparent header
  for (auto& attempt : TakeAll()) {
    if (attempt.delivery.offset == 1) EXPECT_EQ(attempt.request.traceparent, "");
  }
}

TEST_F(DispatcherCoreTest, MetricsCountAttemptsPerEndpointLatencyRetriesAndDisabledEndpoints) {
  platform::MetricsRegistry registry_of_metrics;
  DispatcherMetrics metrics(registry_of_metrics);
  policy.disable_after = 1min;
  registry.Add("ep_a", {"*"});
  registry.Add("ep_b", {"*"});
  core = std::make_unique<DispatcherCore>(
      registry, ledger, policy, [] { return 0.5; }, &metrics);
  core->RefreshEndpoints(now);
  core->Assign(
      kOrders, {0}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  auto record = Record(0, "order-1");
  now = WallClock::time_point(std::chrono::sys_days(std::chrono::December / 5 / 2026).time_since_epoch() + 1h + 2s);
  core->OnRecord(record, now);  // ce_time is 01:00:00, two seconds earlier
  for (auto& attempt : TakeAll()) {
    core->Finish(attempt, attempt.delivery.endpoint_id == "ep_a" ? Delivered() : Failed(), now);
  }
  now += 2min;
  core->WriteNow();  // the ledger writer caught up
  core->TakeDue(now);
  for (auto& attempt : TakeAll()) core->Finish(attempt, Failed(), now);

  const auto text = registry_of_metrics.Render();
  EXPECT_NE(text.find(R"(orders_notifier_webhook_attempts_total{endpoint="ep_a"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(orders_notifier_webhook_successes_total{endpoint="ep_a"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(orders_notifier_webhook_attempts_total{endpoint="ep_b"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(orders_notifier_webhook_failures_total{endpoint="ep_b"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(orders_notifier_webhook_delivery_latency_seconds_sum{endpoint="ep_a"} 2)"), std::string::npos);
  EXPECT_NE(text.find("orders_notifier_webhook_endpoints_disabled_total 1"), std::string::npos);
  EXPECT_NE(text.find("orders_notifier_webhook_retries_pending 1"), std::string::npos);

  now += 1min;       // the disabled endpoint's waiting delivery is listed as failed, not tried
  core->WriteNow();  // the ledger writer caught up
  core->TakeDue(now);
  EXPECT_TRUE(TakeAll().empty());
  const Delivery* waiting = Ledger().Find("ep_b", EventId(0, 0));
  EXPECT_EQ(waiting->status, DeliveryStatus::kFailed);
  EXPECT_EQ(waiting->last_error, "endpoint disabled");
  EXPECT_NE(registry_of_metrics.Render().find("orders_notifier_webhook_retries_pending 0"), std::string::npos);
}

}  // namespace
}  // namespace orders::notifier::webhooks

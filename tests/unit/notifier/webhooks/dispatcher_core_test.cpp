// The dispatcher's decisions with a fake registry, ledger and clock: order
// per subject, isolation of a hanging endpoint, retries on the schedule,
// failure after it, disabling, resume offsets and revocation.

#include <gtest/gtest.h>

#include <orders/codec/trace_context.hpp>
#include <orders/notifier/webhooks/dispatcher_core.hpp>
#include <orders/notifier/webhooks/dispatcher_metrics.hpp>

#include <orders/platform/log_marker.hpp>

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

// A log marker as the consumer reports it: no event, only the header.
platform::ConsumedRecord Marker(std::int64_t offset, std::int32_t partition = 0) {
  platform::ConsumedRecord record;
  record.topic = kOrders;
  record.partition = partition;
  record.offset = offset;
  record.headers = {{std::string(platform::kLogMarkerHeader), "settle"}};
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
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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

// Without parks (PostgreSQL refused one), the fallback: every event the endpoint cannot take is a row.
TEST_F(DispatcherCoreTest, AHangingEndpointSpillsToTheLedgerAndNeverDelaysAHealthyOne) {
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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
  ledger.fail_park_writes = true;  // no park: the events spill to the ledger one by one
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

// ---- Parking: a backing-off or full endpoint is parked on the partition, and caught up from Kafka.

// Hands the records to a catch-up round as the Dispatcher's reader would, until the core says stop
// or wait; returns the last step and how many were taken.
struct Fed {
  CatchUpStep last = CatchUpStep::kNext;
  std::size_t taken = 0;
};
Fed Feed(DispatcherCore& core, const CatchUp& round, const std::vector<platform::ConsumedRecord>& records,
         std::size_t& next, WallClock::time_point now) {
  Fed fed;
  while (next < records.size()) {
    fed.last = core.CatchUpRecord(round, records[next], now);
    if (fed.last != CatchUpStep::kNext) return fed;
    ++next;
    ++fed.taken;
  }
  fed.last = core.CatchUpIdle(round, now);
  return fed;
}

TEST_F(DispatcherCoreTest, AHangingEndpointIsParkedOncePerPartitionNotWrittenPerEvent) {
  policy.queue_per_endpoint = 3;
  policy.endpoint_concurrency = 1;
  registry.Add("ep_hanging", {"*"});
  registry.Add("ep_healthy", {"*"});
  Core();
  std::optional<Attempt> hanging;
  int healthy = 0;
  for (int i = 0; i < 50; ++i) {
    Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
    for (auto& attempt : TakeAll()) {
      if (attempt.delivery.endpoint_id == "ep_hanging") {
        ASSERT_FALSE(hanging);
        hanging = attempt;
      } else {
        ++healthy;
        Core().Finish(attempt, Delivered(), now);
      }
    }
  }
  EXPECT_EQ(healthy, 50) << "every event reached the healthy endpoint at once";
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 0u) << "beyond its queue, nothing is written per event";
  ASSERT_NE(ledger.FindPark("ep_hanging", kOrders, 0), nullptr);
  EXPECT_EQ(ledger.FindPark("ep_hanging", kOrders, 0)->from_offset, 4) << "one in flight, three queued, then parked";
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 0) << "the attempt in flight holds the resume offset";
  ASSERT_TRUE(hanging);
  Core().Finish(*hanging, {false, 0, "timeout", 10s}, now);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 50) << "the partition's offset passes what the park covers";
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 4u) << "the failed attempt and its queue";
  EXPECT_EQ(ledger.ParkCount(), 1u);
  EXPECT_FALSE(Core().TakeCatchUp(now)) << "not due while the endpoint backs off";
}

TEST_F(DispatcherCoreTest, ACatchUpDeliversWhatTheParkCoversInLogOrderThenReadingTakesOver) {
  policy.endpoint_concurrency = 2;
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 6; ++i) log.push_back(Record(i, i == 3 ? "order-1" : "order-" + std::to_string(i + 10)));
  log[1] = Record(1, "order-1");
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);  // backing off: what follows parks the endpoint
  for (int i = 1; i < 6; ++i) Core().OnRecord(log[i], now);
  EXPECT_TRUE(TakeAll().empty());
  ASSERT_NE(ledger.FindPark("ep_a", kOrders, 0), nullptr);
  EXPECT_EQ(ledger.FindPark("ep_a", kOrders, 0)->from_offset, 1);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 6);

  now += 6s;
  Settled().TakeDue(now);
  auto probe = TakeAll();
  ASSERT_EQ(probe.size(), 1u) << "the failed event's retry probes the endpoint";
  Core().Finish(probe[0], Delivered(), now);
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round);
  EXPECT_EQ(round->from, 1);
  EXPECT_FALSE(Core().TakeCatchUp(now)) << "one round per park at a time";
  std::size_t next = 1;
  auto fed = Feed(Core(), *round, log, next, now);
  EXPECT_EQ(fed.taken, 5u);
  EXPECT_EQ(fed.last, CatchUpStep::kWait) << "caught up with reading, but what it handed out is not delivered";
  auto first = TakeAll();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].delivery.offset, 1);
  EXPECT_TRUE(first[0].parked);
  EXPECT_EQ(first[1].delivery.offset, 2) << "order-1's offset 3 waits for its offset 1";
  Core().Finish(first[0], Delivered(), now);
  Core().Finish(first[1], Delivered(), now);
  auto second = TakeAll();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].delivery.offset, 3);
  EXPECT_EQ(second[1].delivery.offset, 4);
  Core().Finish(second[0], Delivered(), now);
  Core().Finish(second[1], Delivered(), now);
  Core().SaveProgress();
  EXPECT_EQ(ledger.FindPark("ep_a", kOrders, 0)->from_offset, 5) << "the park's offset follows what was delivered";
  auto last = TakeAll();
  ASSERT_EQ(last.size(), 1u);
  Core().Finish(last[0], Delivered(), now);
  EXPECT_EQ(Core().CatchUpIdle(*round, now), CatchUpStep::kStop);
  EXPECT_EQ(ledger.ParkCount(), 0u) << "caught up and delivered: the park ends";

  Core().OnRecord(Record(6, "order-1"), now);
  auto live = TakeAll();
  ASSERT_EQ(live.size(), 1u) << "reading hands the endpoint its events again";
  EXPECT_FALSE(live[0].parked);
}

TEST_F(DispatcherCoreTest, AFailingEndpointsCatchUpIsAProbeAndAFailureParksItAgainForTheNextStep) {
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 5; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 5; ++i) Core().OnRecord(log[i], now);
  now += 6s;
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round);
  std::size_t next = 1;
  auto fed = Feed(Core(), *round, log, next, now);
  EXPECT_EQ(fed.last, CatchUpStep::kStop) << "one event while the endpoint fails; the reader is free";
  EXPECT_EQ(next, 1u);
  auto probe = TakeAll();
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(probe[0].delivery.offset, 1);
  Core().Finish(probe[0], {false, 0, "timeout", 10s}, now);
  Settled().SaveProgress();
  const Park* park = ledger.FindPark("ep_a", kOrders, 0);
  ASSERT_NE(park, nullptr);
  EXPECT_EQ(park->from_offset, 1) << "parked again where it stood";
  EXPECT_EQ(park->attempts, 1);
  EXPECT_GE(park->next_attempt_at, now + 2500ms) << "due after the schedule's step (5 s, equal jitter)";
  EXPECT_EQ(Core().CatchUpRecord(*round, log[2], now), CatchUpStep::kStop) << "the old round is over";
  EXPECT_EQ(ledger.Count(DeliveryStatus::kPending), 1u) << "only the first failed attempt is a row";

  now += 31s;
  const auto again = Core().TakeCatchUp(now);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->from, 1);
  next = 1;
  fed = Feed(Core(), *again, log, next, now);
  EXPECT_EQ(fed.last, CatchUpStep::kStop);
  Core().Finish(TakeAll().at(0), Delivered(), now);  // the endpoint is back
  const auto full = Core().TakeCatchUp(now);
  ASSERT_TRUE(full) << "the probe's success starts the next round at once";
  EXPECT_EQ(full->from, 2);
  next = 2;
  fed = Feed(Core(), *full, log, next, now);
  EXPECT_EQ(fed.taken, 3u) << "the whole rest, at full concurrency";
  EXPECT_EQ(TakeAll().size(), 3u);
}

TEST_F(DispatcherCoreTest, AFullQueueParksTheEndpointAndItsCatchUpWaitsForRoom) {
  policy.queue_per_endpoint = 2;
  policy.endpoint_concurrency = 1;
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 8; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  for (const auto& record : log) Core().OnRecord(record, now);
  ASSERT_NE(ledger.FindPark("ep_a", kOrders, 0), nullptr);
  EXPECT_EQ(ledger.FindPark("ep_a", kOrders, 0)->from_offset, 2);
  EXPECT_EQ(Core().QueuedCount(), 2u);
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round) << "a healthy endpoint's park is due at once";
  std::size_t next = 2;
  EXPECT_EQ(Feed(Core(), *round, log, next, now).last, CatchUpStep::kWait) << "its queue is full";
  EXPECT_EQ(next, 2u);
  std::vector<std::int64_t> delivered;
  for (int turns = 0; turns < 20 && delivered.size() < 8; ++turns) {
    for (auto& attempt : TakeAll()) {
      delivered.push_back(attempt.delivery.offset);
      Core().Finish(attempt, Delivered(), now);
    }
    Feed(Core(), *round, log, next, now);
  }
  EXPECT_EQ(delivered, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(Core().CatchUpIdle(*round, now), CatchUpStep::kStop);
  EXPECT_EQ(ledger.ParkCount(), 0u);
  EXPECT_EQ(ledger.Count(DeliveryStatus::kPending), 0u);
}

TEST_F(DispatcherCoreTest, WhenAParkCannotBeWrittenTheEventsGoToTheLedgerAsBefore) {
  ledger.fail_park_writes = true;
  registry.Add("ep_a", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i <= 3; ++i) Core().OnRecord(Record(i, "order-" + std::to_string(i)), now);
  EXPECT_EQ(Ledger().Count(DeliveryStatus::kPending), 4u);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 4);
  EXPECT_EQ(ledger.ParkCount(), 0u);
}

TEST_F(DispatcherCoreTest, ACaughtUpEventWhoseSubjectWaitsInTheLedgerWaitsBehindIt) {
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log = {Record(0, "order-1"), Record(1, "order-2"), Record(2, "order-1")};
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);  // order-1's offset 0 waits in the ledger
  Core().OnRecord(log[1], now);                   // parks the endpoint from offset 1
  Core().OnRecord(log[2], now);
  EXPECT_EQ(Ledger().Find("ep_a", EventId(0, 2)), nullptr) << "the park covers it";
  now += 6s;
  // The park's round runs before the retry pass: order-1's later event must not overtake its first.
  auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round);
  std::size_t next = 1;
  EXPECT_EQ(Feed(Core(), *round, log, next, now).last, CatchUpStep::kStop);
  auto probe = TakeAll();
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(probe[0].delivery.subject, "order-2");
  Core().Finish(probe[0], Delivered(), now);
  round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round);
  EXPECT_EQ(round->from, 2);
  next = 2;
  Feed(Core(), *round, log, next, now);
  EXPECT_TRUE(TakeAll().empty()) << "order-1's offset 2 is not handed out before its offset 0";
  const Delivery* behind = Ledger().Find("ep_a", EventId(0, 2));
  ASSERT_NE(behind, nullptr) << "it waits in the ledger behind order-1's first event";
  EXPECT_EQ(behind->status, DeliveryStatus::kPending);
  EXPECT_EQ(Core().CatchUpIdle(*round, now), CatchUpStep::kStop) << "written: the park is done";
  EXPECT_EQ(ledger.ParkCount(), 0u);
  Settled().TakeDue(now);
  auto retries = TakeAll();
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].delivery.offset, 0);
  Core().Finish(retries[0], Delivered(), now);
  Settled().TakeDue(now);
  retries = TakeAll();
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].delivery.offset, 2);
}

TEST_F(DispatcherCoreTest, ADisabledEndpointsParkListsWhatItCoversAsFailed) {
  policy.disable_after = 1min;
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 4; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 4; ++i) Core().OnRecord(log[i], now);
  registry.Disable("ep_a", "failing since then");
  Core().RefreshEndpoints(now);
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round) << "a disabled endpoint's park is listed at once";
  std::size_t next = 1;
  Feed(Core(), *round, log, next, now);
  EXPECT_TRUE(TakeAll().empty());
  Settled();
  EXPECT_EQ(Core().CatchUpIdle(*round, now), CatchUpStep::kStop);
  EXPECT_EQ(ledger.ParkCount(), 0u);
  for (int i = 1; i < 4; ++i) {
    const Delivery* failed = ledger.Find("ep_a", EventId(0, i));
    ASSERT_NE(failed, nullptr) << i;
    EXPECT_EQ(failed->status, DeliveryStatus::kFailed);
  }
  EXPECT_EQ(ledger.Replay("ep_a", {}), 3u) << "replayable";
}

TEST_F(DispatcherCoreTest, AfterTheLastStepAParkListsWhatItCoversAsFailed) {
  policy.retry_schedule = {5s};
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 3; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 3; ++i) Core().OnRecord(log[i], now);
  for (int probe = 0; probe < 2; ++probe) {  // the first attempt, then the schedule's one step
    now += 6s;
    const auto round = Core().TakeCatchUp(now);
    ASSERT_TRUE(round) << probe;
    std::size_t next = 1;
    Feed(Core(), *round, log, next, now);
    Core().Finish(TakeAll().at(0), Failed(), now);
  }
  const auto last = Core().TakeCatchUp(now);
  ASSERT_TRUE(last) << "the last round, at once";
  std::size_t next = 1;
  Feed(Core(), *last, log, next, now);
  Settled();
  EXPECT_EQ(Core().CatchUpIdle(*last, now), CatchUpStep::kStop);
  ASSERT_NE(ledger.Find("ep_a", EventId(0, 1)), nullptr);
  EXPECT_EQ(ledger.Find("ep_a", EventId(0, 1))->status, DeliveryStatus::kFailed);
  EXPECT_EQ(ledger.Find("ep_a", EventId(0, 1))->attempts, 2);
  EXPECT_EQ(ledger.Find("ep_a", EventId(0, 2))->status, DeliveryStatus::kFailed);
  EXPECT_EQ(ledger.ParkCount(), 0u);
}

TEST_F(DispatcherCoreTest, ARevokedPartitionsParkStaysForTheNextOwnerWhereItsCatchUpStood) {
  policy.endpoint_concurrency = 1;
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 4; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 4; ++i) Core().OnRecord(log[i], now);
  now += 6s;
  Settled().TakeDue(now);
  Core().Finish(TakeAll().at(0), Delivered(), now);
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round);
  std::size_t next = 1;
  Feed(Core(), *round, log, next, now);
  Core().Finish(TakeAll().at(0), Delivered(), now);  // offset 1 delivered, 2 in flight next
  auto in_flight = TakeAll();
  ASSERT_EQ(in_flight.size(), 1u);
  Core().Revoke(kOrders, {0}, now);
  EXPECT_EQ(ledger.FindPark("ep_a", kOrders, 0)->from_offset, 2);
  EXPECT_EQ(Core().CatchUpRecord(*round, log[3], now), CatchUpStep::kStop);
  Core().Finish(in_flight[0], Delivered(), now);
  EXPECT_EQ(ledger.Count(DeliveryStatus::kPending), 0u);

  DispatcherCore next_owner(registry, ledger, policy, [] { return 0.5; });
  next_owner.RefreshEndpoints(now);
  next_owner.Assign(
      kOrders, {0}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  const auto resumed = next_owner.TakeCatchUp(now);
  ASSERT_TRUE(resumed) << "the next owner loads the park";
  EXPECT_EQ(resumed->from, 2);
}

// A consumer-group session timeout revokes every partition and deals the same ones straight back:
// the park is loaded again, and its reader and attempts from before must not count for its new round
// (with round numbers per park, the reloaded park's first round had the old one's number, and the
// old reader's record moved the new round past events it never handed out).
TEST_F(DispatcherCoreTest, AParkRevokedAndAssignedAgainIgnoresItsRoundFromBefore) {
  policy.endpoint_concurrency = 1;
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 5; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 5; ++i) Core().OnRecord(log[i], now);
  now += 6s;
  Settled().TakeDue(now);
  Core().Finish(TakeAll().at(0), Delivered(), now);  // the retry's success: the park is due
  const auto old_round = Core().TakeCatchUp(now);
  ASSERT_TRUE(old_round);
  std::size_t old_next = 1;
  Feed(Core(), *old_round, log, old_next, now);
  auto in_flight = TakeAll();
  ASSERT_EQ(in_flight.size(), 1u);
  EXPECT_EQ(in_flight[0].delivery.offset, 1);

  Core().Revoke(kOrders, {0, 1}, now);
  Core().Assign(
      kOrders, {0, 1}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round) << "the park is loaded again";
  EXPECT_EQ(round->from, 1);
  EXPECT_NE(round->round, old_round->round);
  EXPECT_EQ(Core().CatchUpRecord(*old_round, log[3], now), CatchUpStep::kStop) << "the old reader is over";
  Core().Finish(in_flight[0], Delivered(), now);  // arrived: the new round need not post it again

  std::size_t next = 1;
  auto fed = Feed(Core(), *round, log, next, now);
  EXPECT_EQ(fed.taken, 4u) << "the new round reads everything the park covers, from offset 1";
  std::vector<std::int64_t> delivered;
  for (int turns = 0; turns < 10 && fed.last != CatchUpStep::kStop; ++turns) {
    for (auto& attempt : TakeAll()) {
      delivered.push_back(attempt.delivery.offset);
      Core().Finish(attempt, Delivered(), now);
    }
    fed.last = Core().CatchUpIdle(*round, now);
  }
  EXPECT_EQ(delivered, (std::vector<std::int64_t>{2, 3, 4})) << "none skipped (offset 1 had arrived)";
  EXPECT_EQ(fed.last, CatchUpStep::kStop);
  EXPECT_EQ(ledger.ParkCount(), 0u);
}

// A notifier stalled past its session timeout wakes up inside a catch-up round it began as the
// partition's owner. The partition was dealt to another instance meanwhile, whose reading skips the
// endpoint's events because the park covers them. The old round ends and drops the park: without
// the fence the row went, and once the new owner died before writing it again, the next owner
// started past the events only the park still covered.
TEST_F(DispatcherCoreTest, AStalledOwnersOldRoundEndingAfterItsPartitionMovedLeavesThePark) {
  platform::MetricsRegistry registry_of_metrics;
  DispatcherMetrics metrics(registry_of_metrics);
  policy.endpoint_concurrency = 1;
  registry.Add("ep_a", {"*"});
  core = std::make_unique<DispatcherCore>(
      registry, ledger, policy, [] { return 0.5; }, &metrics);
  core->RefreshEndpoints(now);
  core->Assign(
      kOrders, {0, 1}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 8; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 4; ++i) Core().OnRecord(log[i], now);  // parked from offset 1
  now += 6s;
  Settled().TakeDue(now);
  Core().Finish(TakeAll().at(0), Delivered(), now);  // the retry's success: the park is due
  const auto old_round = Core().TakeCatchUp(now);
  ASSERT_TRUE(old_round);
  std::size_t old_next = 1;
  EXPECT_EQ(Feed(Core(), *old_round, log, old_next, now).last, CatchUpStep::kWait);
  for (int turns = 0; turns < 3; ++turns) Core().Finish(TakeAll().at(0), Delivered(), now);  // offsets 1..3
  Core().SaveProgress();
  // Here the old owner stalls, before its reader tells the core the round caught up.

  DispatcherCore new_owner(registry, ledger, policy, [] { return 0.5; });
  new_owner.RefreshEndpoints(now);
  new_owner.Assign(
      kOrders, {0}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  ASSERT_TRUE(new_owner.Parked("ep_a", kOrders, 0)) << "the new owner loads the park";
  for (int i = 4; i < 8; ++i) new_owner.OnRecord(log[i], now);
  EXPECT_FALSE(new_owner.NextAttempt()) << "the park covers offsets 4..7: reading skips them for ep_a";
  new_owner.WriteNow();
  new_owner.SaveProgress();
  EXPECT_EQ(ledger.ResumeOffset(kOrders, 0), 8) << "the partition's resume offset passes what the park covers";

  // The old owner runs again: its round caught up, everything it handed out delivered.
  EXPECT_EQ(Core().CatchUpIdle(*old_round, now), CatchUpStep::kStop);
  EXPECT_FALSE(Core().Parked("ep_a", kOrders, 0)) << "the round is over for the old owner";
  ASSERT_NE(ledger.FindPark("ep_a", kOrders, 0), nullptr) << "but the new owner's park is still there";
  EXPECT_NE(registry_of_metrics.Render().find("orders_notifier_webhook_stale_park_drops_total 1"), std::string::npos);

  // The new owner dies without writing anything more; the next one catches the endpoint up.
  DispatcherCore next_owner(registry, ledger, policy, [] { return 0.5; });
  next_owner.RefreshEndpoints(now);
  next_owner.Assign(
      kOrders, {0}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  const auto round = next_owner.TakeCatchUp(now);
  ASSERT_TRUE(round);
  EXPECT_LE(round->from, 4);
  std::size_t next = static_cast<std::size_t>(round->from);
  auto fed = Feed(next_owner, *round, log, next, now);
  std::set<std::int64_t> delivered;
  for (int turns = 0; turns < 10 && fed.last != CatchUpStep::kStop; ++turns) {
    while (auto attempt = next_owner.NextAttempt()) {
      delivered.insert(attempt->delivery.offset);
      next_owner.Finish(*attempt, Delivered(), now);
    }
    fed.last = next_owner.CatchUpIdle(*round, now);
  }
  EXPECT_EQ(fed.last, CatchUpStep::kStop);
  for (std::int64_t offset = 4; offset < 8; ++offset) EXPECT_TRUE(delivered.count(offset)) << offset;
  EXPECT_EQ(ledger.FindPark("ep_a", kOrders, 0), nullptr) << "the current owner's round ends the park";
}

TEST_F(DispatcherCoreTest, LogMarkersMoveReadingAndACatchUpOnAndAreDeliveredToNobody) {
  registry.Add("ep_a", {"*"});
  const std::vector<platform::ConsumedRecord> log = {Record(0, "order-0"), Record(1, "order-1"), Marker(2),
                                                     Record(3, "order-3"), Marker(4)};
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  Core().OnRecord(log[1], now);  // parks the endpoint from offset 1
  Core().OnMarker(log[2]);
  Core().OnRecord(log[3], now);
  Core().OnMarker(log[4]);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 5) << "reading's position passes the trailing marker";
  now += 6s;
  Settled().TakeDue(now);
  Core().Finish(TakeAll().at(0), Delivered(), now);
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round);
  std::size_t next = 1;
  auto fed = Feed(Core(), *round, log, next, now);
  EXPECT_EQ(fed.taken, 4u) << "two events and two markers handed in";
  EXPECT_EQ(fed.last, CatchUpStep::kWait);
  std::vector<std::int64_t> posted;
  for (auto& attempt : TakeAll()) {
    posted.push_back(attempt.delivery.offset);
    Core().Finish(attempt, Delivered(), now);
  }
  EXPECT_EQ(posted, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(Core().CatchUpIdle(*round, now), CatchUpStep::kStop) << "past the trailing marker it caught up";
  EXPECT_EQ(ledger.ParkCount(), 0u);
}

TEST_F(DispatcherCoreTest, AParkWhoseRetriesAreUsedUpIsListedAsFailedByTheNextOwnerWithoutAnotherProbe) {
  policy.retry_schedule = {5s};
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 3; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 3; ++i) Core().OnRecord(log[i], now);
  for (int probe = 0; probe < 2; ++probe) {
    now += 6s;
    const auto round = Core().TakeCatchUp(now);
    ASSERT_TRUE(round) << probe;
    std::size_t next = 1;
    Feed(Core(), *round, log, next, now);
    Core().Finish(TakeAll().at(0), Failed(), now);
  }
  Core().Revoke(kOrders, {0, 1}, now);  // before its last round ran
  ASSERT_NE(ledger.FindPark("ep_a", kOrders, 0), nullptr);
  EXPECT_EQ(ledger.FindPark("ep_a", kOrders, 0)->fail_reason, "retries used up") << "stored with the park";

  DispatcherCore next_owner(registry, ledger, policy, [] { return 0.5; });
  next_owner.RefreshEndpoints(now);
  next_owner.Assign(
      kOrders, {0}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  const auto last = next_owner.TakeCatchUp(now);
  ASSERT_TRUE(last) << "the last round, at once";
  std::size_t next = 1;
  Feed(next_owner, *last, log, next, now);
  EXPECT_FALSE(next_owner.NextAttempt()) << "no probe: what the park covers is listed";
  next_owner.WriteNow();
  EXPECT_EQ(next_owner.CatchUpIdle(*last, now), CatchUpStep::kStop);
  ASSERT_NE(ledger.Find("ep_a", EventId(0, 1)), nullptr);
  EXPECT_EQ(ledger.Find("ep_a", EventId(0, 1))->status, DeliveryStatus::kFailed);
  EXPECT_EQ(ledger.Find("ep_a", EventId(0, 1))->last_error, "retries used up");
  EXPECT_EQ(ledger.Find("ep_a", EventId(0, 2))->status, DeliveryStatus::kFailed);
  EXPECT_EQ(ledger.ParkCount(), 0u);
}

// The ledger writer's batch is written outside the lock: a revocation and the same partition's
// assignment back can happen meanwhile, and reading hands its record out again. The old batch's
// commit must not count as one of the new deliveries of that offset.
TEST_F(DispatcherCoreTest, AWriteCommittedAfterThePartitionCameBackResolvesNothingOfTheNewOwnership) {
  registry.Add("ep_a", {"*"});
  registry.Add("ep_b", {"*"});
  Core().OnRecord(Record(0, "order-0"), now);
  for (auto& attempt : TakeAll()) {
    Core().Finish(attempt, attempt.delivery.endpoint_id == "ep_a" ? Failed() : Delivered(), now);
  }
  const auto batch = Core().TakeUnwritten();  // the writer took ep_a's retry; its write is slow
  ASSERT_EQ(batch.size(), 1u);
  Core().Revoke(kOrders, {0}, now);
  EXPECT_EQ(ledger.ResumeOffset(kOrders, 0), 0) << "the write on its way holds the offset";
  Core().Assign(
      kOrders, {0}, [](platform::Partition) { return std::optional<platform::Offset>(0); }, now);
  Core().OnRecord(Record(0, "order-0"), now);  // read again: ep_b gets it again (the same id)
  std::vector<Delivery> rows;
  for (const auto& entry : batch) rows.push_back(entry.delivery);
  ledger.KeepAll(rows);
  Core().Written(batch);
  EXPECT_EQ(Core().ResumeOffset(kOrders, 0), 0) << "ep_b's new delivery of offset 0 still holds it";
  for (auto& attempt : TakeAll()) Core().Finish(attempt, Delivered(), now);
  EXPECT_EQ(Settled().ResumeOffset(kOrders, 0), 1);
}

TEST_F(DispatcherCoreTest, AnAttemptThatSucceedsAfterItsRoundEndedIsNotPostedAgainByTheNextRound) {
  policy.endpoint_concurrency = 2;
  registry.Add("ep_a", {"*"});
  std::vector<platform::ConsumedRecord> log;
  for (int i = 0; i < 4; ++i) log.push_back(Record(i, "order-" + std::to_string(i)));
  Core().OnRecord(log[0], now);
  Core().Finish(TakeAll().at(0), Failed(), now);
  for (int i = 1; i < 4; ++i) Core().OnRecord(log[i], now);
  now += 6s;
  Settled().TakeDue(now);
  Core().Finish(TakeAll().at(0), Delivered(), now);
  const auto round = Core().TakeCatchUp(now);
  ASSERT_TRUE(round);
  std::size_t next = 1;
  Feed(Core(), *round, log, next, now);
  auto in_flight = TakeAll();
  ASSERT_EQ(in_flight.size(), 2u);
  ASSERT_EQ(in_flight[0].delivery.offset, 1);
  ASSERT_EQ(in_flight[1].delivery.offset, 2);
  Core().Finish(in_flight[0], Failed(), now);     // ends the round: parked again from offset 1
  Core().Finish(in_flight[1], Delivered(), now);  // its neighbour arrives after all

  now += 31s;
  const auto again = Core().TakeCatchUp(now);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->from, 1);
  next = 1;
  auto fed = Feed(Core(), *again, log, next, now);
  std::vector<std::int64_t> posted;
  for (int turns = 0; turns < 10 && fed.last != CatchUpStep::kStop; ++turns) {
    for (auto& attempt : TakeAll()) {
      posted.push_back(attempt.delivery.offset);
      Core().Finish(attempt, Delivered(), now);
    }
    fed.last = Core().CatchUpIdle(*again, now);
  }
  EXPECT_EQ(posted, (std::vector<std::int64_t>{1, 3})) << "offset 2 arrived already";
  EXPECT_EQ(ledger.ParkCount(), 0u);
}

}  // namespace
}  // namespace orders::notifier::webhooks

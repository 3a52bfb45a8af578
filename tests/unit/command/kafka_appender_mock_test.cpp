// The command path (processor, order book, KafkaAppender, KafkaProducer) on
// librdkafka's in-process mock cluster: broker behaviour the fakes cannot show.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <orders/command/command_processor.hpp>
#include <orders/command/deadline_appender.hpp>
#include <orders/command/deadline_timer.hpp>
#include <orders/command/kafka_appender.hpp>
#include <orders/command/work_queue.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using Kind = CommandResult::Kind;
const Caller kStaff{{domain::ActorRole::kStaff, "ops"}, "staff:ops", std::nullopt};

constexpr const char* kTopic = "orders.events";
constexpr const char* kOtherOrderId = "00000000-0000-4000-8000-000000000002";
constexpr const char* kThirdOrderId = "00000000-0000-4000-8000-000000000003";

// A one-broker mock cluster with the orders topic (two partitions).
class MockCluster {
 public:
  MockCluster() {
    char error[256];
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), error, sizeof error);
    cluster_ = rd_kafka_mock_cluster_new(owner_, 1);
    rd_kafka_mock_topic_create(cluster_, kTopic, 2, 1);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
  }
  std::string Bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  // Without a leader a partition's records wait in the producer's queue, unsent.
  void SetLeaderless(platform::Partition partition, bool leaderless) {
    rd_kafka_mock_partition_set_leader(cluster_, kTopic, partition, leaderless ? -1 : 1);
  }
  // Delays the broker's answers: a record is sent but unacknowledged (in flight) meanwhile.
  void SetRoundTrip(std::chrono::milliseconds rtt) {
    rd_kafka_mock_broker_set_rtt(cluster_, 1, static_cast<int>(rtt.count()));
  }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// Collects replies; Wait() is bounded so a lost reply fails instead of hanging.
class Replies {
 public:
  Reply For(const std::string& name) {
    return [this, name](CommandResult result) {
      std::lock_guard lock(mutex_);
      results_[name] = result;
      changed_.notify_all();
    };
  }
  std::optional<CommandResult> Wait(const std::string& name, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return results_.count(name) != 0; });
    auto it = results_.find(name);
    if (it == results_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, CommandResult> results_;
};

class CommandPathOnMockCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    auto producer = platform::KafkaProducer::Create({cluster_.Bootstraps(), "mock-test", "", {}});
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
    appender_ = std::make_unique<KafkaAppender>(*producer_, kTopic, metrics_);
    processor_ = std::make_unique<CommandProcessor>(ProcessorDeps{
        book_, *appender_, [] { return testing::At(); }, [this] { return "event-" + std::to_string(++ids_); }, "/test",
        [](const std::string& order_id) -> std::optional<platform::Partition> {
          return order_id == testing::kOrderId ? 0 : 1;  // the test's order on 0, every other on 1
        }});
  }

  void TearDown() override {
    producer_.reset();  // its destructor flushes and runs the last callbacks
    queue_.Stop();
  }

  MockCluster cluster_;
  platform::MetricsRegistry metrics_;
  WorkQueue queue_;
  OrderBook book_{[this](std::function<void()> work) { queue_.Post(std::move(work)); }};
  std::atomic<int> ids_{0};
  std::unique_ptr<platform::KafkaProducer> producer_;
  std::unique_ptr<KafkaAppender> appender_;
  std::unique_ptr<CommandProcessor> processor_;
  Replies replies_;
};

TEST_F(CommandPathOnMockCluster, AppendAnswersPersistedOnlyAfterTheBrokerAcknowledged) {
  cluster_.SetLeaderless(0, true);
  std::promise<Appended> outcome;
  appender_->Append(codec::EncodeEvent(testing::Placed(), {}), 0, [&](Appended result) { outcome.set_value(result); });
  auto answered = outcome.get_future();
  EXPECT_EQ(answered.wait_for(300ms), std::future_status::timeout) << "answered before any broker had the record";
  EXPECT_EQ(appender_->InFlight(0), 1);
  EXPECT_EQ(appender_->InFlight(1), 0);
  cluster_.SetLeaderless(0, false);
  ASSERT_EQ(answered.wait_for(10s), std::future_status::ready);
  const auto appended = answered.get();
  EXPECT_EQ(appended.outcome, AppendOutcome::kPersisted);
  EXPECT_EQ(appended.offset, std::optional<platform::Offset>(0)) << "where it landed: the partition's first record";
  EXPECT_EQ(appender_->InFlight(0), 0);
}

// A fatal producer error while a command waits behind an unsent record: the
// re-creation purges that record, whose callback frees the order for the
// waiting command. That command used to run inside the purge, on the thread
// re-creating the producer, and to block forever on the producer's own lock.
TEST_F(CommandPathOnMockCluster, CommandWaitingBehindAPurgedRecordIsAnsweredAfterAFatalError) {
  // Keep the poll thread inside a delivery callback, so the purged record's
  // report can only be served by the thread that re-creates the producer.
  std::promise<void> hold_released;
  auto hold = hold_released.get_future().share();
  std::atomic<bool> poll_thread_held{false};
  processor_->Place(testing::PlaceOrderCommand(kThirdOrderId), std::nullopt, kStaff, [&](CommandResult) {
    poll_thread_held = true;
    hold.wait_for(20s);
  });
  ASSERT_TRUE(testing::Eventually([&] { return poll_thread_held.load(); }));

  cluster_.SetLeaderless(0, true);
  processor_->Place(testing::PlaceOrderCommand(), std::nullopt, kStaff, replies_.For("first"));
  processor_->Place(testing::PlaceOrderCommand(), std::nullopt, kStaff, replies_.For("waiting"));  // same order: waits
  ASSERT_TRUE(producer_->TriggerFatalErrorForTesting());

  // The next command re-creates the producer. Bounded: a deadlock fails the test instead of hanging it.
  std::promise<void> placed;
  std::thread other([&] {
    processor_->Place(testing::PlaceOrderCommand(kOtherOrderId), std::nullopt, kStaff, replies_.For("other"));
    placed.set_value();
  });
  if (placed.get_future().wait_for(15s) != std::future_status::ready) {
    std::fprintf(stderr, "DEADLOCK: re-creating the producer never returned\n");
    std::_Exit(1);  // the stuck threads cannot be joined
  }
  other.join();
  cluster_.SetLeaderless(0, false);
  hold_released.set_value();

  const auto first = replies_.Wait("first");
  ASSERT_TRUE(first) << "the purged record's command was never answered";
  EXPECT_EQ(first->kind, Kind::kUnavailable);
  const auto waiting = replies_.Wait("waiting", 20s);
  ASSERT_TRUE(waiting) << "the waiting command was never answered";
  EXPECT_EQ(waiting->kind, Kind::kCreated) << "it ran on the fresh producer";
  const auto other_reply = replies_.Wait("other", 20s);
  ASSERT_TRUE(other_reply);
  EXPECT_NE(other_reply->kind, Kind::kBusy);
  EXPECT_GE(producer_->Recreations(), 1);
}

// Reads the whole topic: the records; `ends` receives each partition's end as the reader saw it, `markers`
// counts the markers reported.
std::vector<platform::ConsumedRecord> ReadAll(const std::string& bootstraps, platform::PartitionOffsets& ends,
                                              int& markers) {
  auto consumer = platform::KafkaConsumer::Create({bootstraps, "mock-reader", "", {}});
  EXPECT_TRUE(consumer);
  if (!consumer) return {};
  EXPECT_TRUE((*consumer)->AssignAll(
      kTopic, [](platform::Partition) { return platform::kOffsetBeginning; }, 5000));
  std::vector<platform::ConsumedRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ends.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto polled = (*consumer)->Poll(100);
    if (polled.kind == platform::PollResult::Kind::kRecord) records.push_back(std::move(polled.record));
    if (polled.kind == platform::PollResult::Kind::kMarker) ++markers;
    if (polled.kind == platform::PollResult::Kind::kPartitionEnd) ends[polled.record.partition] = polled.record.offset;
  }
  (*consumer)->Close(2000);
  return records;
}

TEST_F(CommandPathOnMockCluster, MarkersFollowEarlierAppendsAndReadersAreToldThemApartFromRecords) {
  std::promise<AppendOutcome> appended;
  appender_->Append(codec::EncodeEvent(testing::Placed(), {}), 0,
                    [&](Appended result) { appended.set_value(result.outcome); });
  ASSERT_EQ(appended.get_future().get(), AppendOutcome::kPersisted);
  std::promise<std::optional<platform::PartitionOffsets>> marked;
  appender_->AppendMarkers(2, [&](std::optional<platform::PartitionOffsets> markers) { marked.set_value(markers); });
  auto markers = marked.get_future();
  ASSERT_EQ(markers.wait_for(10s), std::future_status::ready);
  const auto offsets = markers.get();
  ASSERT_TRUE(offsets);
  EXPECT_EQ(*offsets, (platform::PartitionOffsets{{0, 1}, {1, 0}})) << "after the event on 0, first on 1";

  platform::PartitionOffsets ends;
  int markers_read = 0;
  const auto records = ReadAll(cluster_.Bootstraps(), ends, markers_read);
  ASSERT_EQ(records.size(), 1u) << "only the event";
  EXPECT_EQ(markers_read, 2) << "reported as markers, never as records";
  EXPECT_EQ(records[0].offset, 0);
  EXPECT_EQ(ends, (platform::PartitionOffsets{{0, 2}, {1, 1}})) << "the reader's positions pass the markers";
}

TEST_F(CommandPathOnMockCluster, MarkersAreAnsweredOnlyOnceEveryPartitionAcknowledgedOne) {
  cluster_.SetLeaderless(1, true);
  std::promise<std::optional<platform::PartitionOffsets>> marked;
  appender_->AppendMarkers(2, [&](std::optional<platform::PartitionOffsets> markers) { marked.set_value(markers); });
  auto markers = marked.get_future();
  EXPECT_EQ(markers.wait_for(300ms), std::future_status::timeout) << "partition 1 has no leader to acknowledge";
  cluster_.SetLeaderless(1, false);
  ASSERT_EQ(markers.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(markers.get());
}

TEST(OrderBookWithAQueue, WaitingWorkNeverRunsOnTheThreadThatReleasesTheOrder) {
  WorkQueue queue;
  OrderBook book([&](std::function<void()> work) { queue.Post(std::move(work)); });
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(book.RunExclusive(testing::kOrderId, [] {}));
  ASSERT_TRUE(book.RunExclusive(testing::kOrderId, [&] {
    ran_on.set_value(std::this_thread::get_id());
    book.Release(testing::kOrderId);
  }));
  book.Release(testing::kOrderId);  // as a delivery callback would
  auto future = ran_on.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
  queue.Stop();
}

}  // namespace
}  // namespace orders::command

namespace orders::command {
namespace {

// The producer's own settings, with the command service's answer deadline in front (deadline_appender.hpp).
TEST_F(CommandPathOnMockCluster, ARecordInFlightPastTheAnswerDeadlineIsAnswered503ThenLandsOnceAndFencesItsOrder) {
  ThreadDeadlineTimer timer;
  DeadlineAppender answered(*appender_, timer, 300ms);
  CommandProcessor processor(ProcessorDeps{book_,
                                           answered,
                                           [] { return testing::At(); },
                                           [this] { return "event-" + std::to_string(++ids_); },
                                           "/test",
                                           [](const std::string&) -> std::optional<platform::Partition> { return 0; },
                                           false,
                                           {},
                                           nullptr});
  cluster_.SetRoundTrip(1500ms);  // sent at once, acknowledged 1.5 s later: in flight past the deadline
  const auto started = std::chrono::steady_clock::now();
  processor.Place(testing::PlaceOrderCommand(), std::nullopt, kStaff, replies_.For("place"));
  const auto placed = replies_.Wait("place");
  ASSERT_TRUE(placed);
  EXPECT_EQ(placed->kind, Kind::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1200ms) << "answered at the deadline, not the broker's";
  EXPECT_TRUE(book_.IsUncertain(testing::kOrderId));
  EXPECT_EQ(appender_->InFlight(0), 1) << "the producer keeps the record";

  ASSERT_TRUE(testing::Eventually([&] { return appender_->InFlight(0) == 0; }, 10s));
  cluster_.SetRoundTrip(0ms);
  platform::PartitionOffsets ends;
  int markers = 0;
  const auto records = ReadAll(cluster_.Bootstraps(), ends, markers);
  ASSERT_EQ(records.size(), 1u) << "the placement, once";
  EXPECT_EQ(records[0].partition, 0);
  EXPECT_TRUE(book_.IsUncertain(testing::kOrderId)) << "settled by the log markers only (uncertainty_settler.hpp)";
}

TEST_F(CommandPathOnMockCluster, AFullProducerQueueRefusesAtOnceInsteadOfHoldingMoreRecords) {
  auto small = platform::KafkaProducer::Create(
      {cluster_.Bootstraps(), "mock-test-small-queue", "", {{"queue.buffering.max.messages", "2"}}});
  ASSERT_TRUE(small) << small.error().message;
  KafkaAppender appender(**small, kTopic, metrics_, {{"stream", "small"}});
  cluster_.SetLeaderless(0, true);  // nothing leaves the queue
  std::vector<AppendOutcome> outcomes;
  std::mutex mutex;
  for (int i = 0; i < 3; ++i) {
    appender.Append(codec::EncodeEvent(testing::Placed(), {}), 0, [&](Appended appended) {
      std::lock_guard lock(mutex);
      outcomes.push_back(appended.outcome);
    });
  }
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(outcomes, std::vector<AppendOutcome>{AppendOutcome::kFailed}) << "the third, at once; two wait";
  }
  cluster_.SetLeaderless(0, false);
  ASSERT_TRUE(testing::Eventually(
      [&] {
        std::lock_guard lock(mutex);
        return outcomes.size() == 3;
      },
      10s));
  EXPECT_EQ(outcomes[1], AppendOutcome::kPersisted);
  EXPECT_EQ(outcomes[2], AppendOutcome::kPersisted);
}

}  // namespace
}  // namespace orders::command

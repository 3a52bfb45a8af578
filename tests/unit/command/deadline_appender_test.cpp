// The answer deadline of appends (deadline_appender.hpp): the producer keeps
// every record until the log answers, but a command is answered within the
// deadline, as an unknown outcome that fences its order until the log settles it.
// Also chains of appends (EventAppender::AppendInOrder) through an appender
// that answers one record at a time.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <map>
#include <thread>

#include <orders/codec/event_codec.hpp>
#include <orders/command/command_processor.hpp>
#include <orders/command/deadline_appender.hpp>
#include <orders/command/deadline_timer.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using domain::Status;
using Kind = CommandResult::Kind;
const Caller kStaff{{domain::ActorRole::kStaff, "ops"}, "staff:ops", std::nullopt};

// A clock the test moves: due callbacks run inside Advance().
class ManualTimer : public DeadlineTimer {
 public:
  Id After(Clock::duration after, std::function<void()> fire) override {
    waiting_.emplace(++last_id_, std::make_pair(now_ + after, std::move(fire)));
    return last_id_;
  }
  void Cancel(Id id) override { waiting_.erase(id); }
  void Advance(Clock::duration by) {
    now_ += by;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.first > now_) {
        ++it;
        continue;
      }
      auto fire = std::move(it->second.second);
      it = waiting_.erase(it);
      fire();
    }
  }
  std::size_t Waiting() const { return waiting_.size(); }

 private:
  Clock::time_point now_{};
  Id last_id_ = 0;
  std::map<Id, std::pair<Clock::time_point, std::function<void()>>> waiting_;
};

// Holds appends until the test answers them, like a producer waiting for a broker.
class HeldAppender : public EventAppender {
 public:
  void Append(const codec::EventRecord& record, platform::Partition, std::function<void(Appended)> done) override {
    records.push_back(record);
    pending.push_back(std::move(done));
  }
  void Answer(AppendOutcome outcome) {
    auto done = std::move(pending.front());
    pending.pop_front();
    const auto offset = static_cast<platform::Offset>(records.size() - pending.size() - 1);
    done({outcome, outcome == AppendOutcome::kPersisted ? std::optional(offset) : std::nullopt});
  }

  std::vector<codec::EventRecord> records;
  std::deque<std::function<void(Appended)>> pending;
};

class DeadlineAppenderTest : public ::testing::Test {
 protected:
  std::vector<Appended> AppendOne() {
    appender_.Append(codec::EncodeEvent(testing::Placed(), {}), 0,
                     [this](Appended appended) { answers_.push_back(appended); });
    return answers_;
  }

  ManualTimer timer_;
  HeldAppender inner_;
  platform::Counter overdue_;
  DeadlineAppender appender_{inner_, timer_, 3000ms, &overdue_};
  std::vector<Appended> answers_;
};

TEST_F(DeadlineAppenderTest, AnAppendAnsweredBeforeTheDeadlineIsAnsweredAsTheLogAnsweredAndItsDeadlineIsDropped) {
  AppendOne();
  timer_.Advance(2999ms);
  EXPECT_TRUE(answers_.empty()) << "no answer before the log's or the deadline's";
  inner_.Answer(AppendOutcome::kPersisted);
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].outcome, AppendOutcome::kPersisted);
  EXPECT_EQ(answers_[0].offset, std::optional<platform::Offset>(0));
  EXPECT_EQ(timer_.Waiting(), 0u);
  timer_.Advance(10s);
  EXPECT_EQ(answers_.size(), 1u);
  EXPECT_EQ(overdue_.Value(), 0u);
}

TEST_F(DeadlineAppenderTest, ADefiniteFailureBeforeTheDeadlineStaysADefiniteFailure) {
  AppendOne();
  inner_.Answer(AppendOutcome::kFailed);
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].outcome, AppendOutcome::kFailed);
}

TEST_F(DeadlineAppenderTest, AnAppendUnansweredAtTheDeadlineIsAnsweredUnknownOnceAndItsLateReportIsNotPassedOn) {
  AppendOne();
  timer_.Advance(3000ms);
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].outcome, AppendOutcome::kUnknown) << "it may still land: the producer keeps it";
  EXPECT_FALSE(answers_[0].offset);
  EXPECT_EQ(overdue_.Value(), 1u);
  EXPECT_EQ(inner_.pending.size(), 1u) << "the record was not given up";
  inner_.Answer(AppendOutcome::kPersisted);  // it landed after all
  EXPECT_EQ(answers_.size(), 1u) << "answered once: the log follower folds the late record";
}

TEST_F(DeadlineAppenderTest, EachAppendHasItsOwnDeadline) {
  AppendOne();
  timer_.Advance(2000ms);
  AppendOne();
  timer_.Advance(1000ms);
  ASSERT_EQ(answers_.size(), 1u) << "only the first is due";
  inner_.Answer(AppendOutcome::kPersisted);  // the first's late report
  inner_.Answer(AppendOutcome::kPersisted);  // the second's, in time
  ASSERT_EQ(answers_.size(), 2u);
  EXPECT_EQ(answers_[1].outcome, AppendOutcome::kPersisted);
}

// The processor behind the deadline: the order's outcome stays unknown after its late record landed, until the
// log has been read past it; the next command then decides on the state with that record, at the next version.
// A chain through an appender that hands records over one at a time (EventAppender's own AppendInOrder).
std::vector<ChainedAppend> ChainOfTwo(std::vector<Appended>& answers) {
  std::vector<ChainedAppend> chain;
  for (int i = 0; i < 2; ++i) {
    chain.push_back({codec::EncodeEvent(testing::Placed(), {}), [&answers](Appended a) { answers.push_back(a); }});
  }
  return chain;
}

TEST(AppendInOrder, ByDefaultARecordIsHandedOverOnlyOnceTheOneBeforeItIsInTheLog) {
  HeldAppender log;
  std::vector<Appended> answers;
  log.AppendInOrder(ChainOfTwo(answers), 0);
  EXPECT_EQ(log.records.size(), 1u);
  log.Answer(AppendOutcome::kPersisted);
  ASSERT_EQ(log.records.size(), 2u);
  log.Answer(AppendOutcome::kPersisted);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].outcome, AppendOutcome::kPersisted);
  EXPECT_EQ(answers[1].outcome, AppendOutcome::kPersisted);
}

TEST(AppendInOrder, AfterARecordTheLogMayNotHaveTakenTheRestAreFailedWithoutBeingHandedOver) {
  for (const auto outcome : {AppendOutcome::kFailed, AppendOutcome::kUnknown}) {
    HeldAppender log;
    std::vector<Appended> answers;
    log.AppendInOrder(ChainOfTwo(answers), 0);
    log.Answer(outcome);
    EXPECT_EQ(log.records.size(), 1u);
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[0].outcome, outcome);
    EXPECT_EQ(answers[1].outcome, AppendOutcome::kFailed);
  }
}

TEST_F(DeadlineAppenderTest, EveryRecordOfAChainHasItsOwnDeadline) {
  appender_.AppendInOrder(ChainOfTwo(answers_), 0);
  inner_.Answer(AppendOutcome::kPersisted);  // the first in time; the second is handed over now
  ASSERT_EQ(answers_.size(), 1u);
  timer_.Advance(3000ms);
  ASSERT_EQ(answers_.size(), 2u);
  EXPECT_EQ(answers_[1].outcome, AppendOutcome::kUnknown);
  EXPECT_EQ(overdue_.Value(), 1u);
  inner_.Answer(AppendOutcome::kPersisted);  // late: not passed on
  EXPECT_EQ(answers_.size(), 2u);
}

TEST(CommandPastTheAnswerDeadline, FencesItsOrderUntilTheLogSettlesItAndTheNextCommandTakesTheNextVersion) {
  ManualTimer timer;
  HeldAppender inner;
  DeadlineAppender appender(inner, timer, 3000ms);
  OrderBook book;
  int ids = 0;
  CommandProcessor processor({book,
                              appender,
                              [] { return testing::At(); },
                              [&ids] { return "00000000-0000-4000-8000-00000000000" + std::to_string(++ids); },
                              "/test",
                              [](const std::string&) -> std::optional<platform::Partition> { return 0; },
                              false,
                              {},
                              nullptr});
  std::vector<CommandResult> results;
  auto reply = [&results](CommandResult result) { results.push_back(std::move(result)); };

  processor.Place(testing::PlaceOrderCommand(), std::nullopt, kStaff, reply);
  inner.Answer(AppendOutcome::kPersisted);
  processor.ChangeStatus(testing::ChangeStatusCommand(Status::kConfirmed), kStaff, reply);
  timer.Advance(3000ms);  // the broker has not answered the confirmation
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].kind, Kind::kUnavailable) << "answered at the deadline, outcome unknown";
  EXPECT_TRUE(book.IsUncertain(testing::kOrderId));

  processor.ChangeStatus(testing::ChangeStatusCommand(Status::kCancelled), kStaff, reply);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].kind, Kind::kUnavailable) << "no decision on a state the log may have moved past";
  EXPECT_EQ(inner.records.size(), 2u) << "nothing appended while the outcome is unknown";

  inner.Answer(AppendOutcome::kPersisted);  // the confirmation landed, late
  EXPECT_TRUE(book.IsUncertain(testing::kOrderId)) << "the late report alone settles nothing";
  EXPECT_EQ(book.Find(testing::kOrderId)->version, 1) << "the late report is not folded by the processor";

  // The log follower reads the confirmation back, then past the markers that follow it.
  const auto decoded = codec::DecodeEvent(inner.records[1].key, inner.records[1].value, inner.records[1].headers);
  ASSERT_TRUE(decoded.decoded);
  ASSERT_EQ(book.Apply(decoded.decoded->event, decoded.decoded->metadata), domain::ApplyOutcome::kApplied);
  book.ClearUncertainBefore(std::chrono::steady_clock::now() + 1s);

  processor.ChangeStatus(testing::ChangeStatusCommand(Status::kCancelled), kStaff, reply);
  ASSERT_EQ(inner.records.size(), 3u);
  inner.Answer(AppendOutcome::kPersisted);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[3].kind, Kind::kOk);
  ASSERT_TRUE(results[3].order);
  EXPECT_EQ(results[3].order->version, 3) << "decided on the state with the late confirmation";
  const auto cancelled = codec::DecodeEvent(inner.records[2].key, inner.records[2].value, inner.records[2].headers);
  ASSERT_TRUE(cancelled.decoded);
  EXPECT_EQ(domain::VersionOf(cancelled.decoded->event), 3);
}

TEST(ThreadDeadlineTimer, RunsACallbackOnceItsTimeHasComeAndNeverOneCancelledBefore) {
  ThreadDeadlineTimer timer;
  std::atomic<int> fired{0}, cancelled{0};
  const auto started = std::chrono::steady_clock::now();
  std::atomic<std::chrono::steady_clock::time_point> fired_at{};
  timer.After(100ms, [&] {
    fired_at = std::chrono::steady_clock::now();
    ++fired;
  });
  const auto id = timer.After(150ms, [&] { ++cancelled; });
  timer.Cancel(id);
  ASSERT_TRUE(testing::Eventually([&] { return fired.load() == 1; }, 5s));
  EXPECT_GE(fired_at.load() - started, 100ms);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(fired.load(), 1);
  EXPECT_EQ(cancelled.load(), 0);
  EXPECT_EQ(timer.Waiting(), 0u);
}

TEST(ThreadDeadlineTimer, AnEarlierDeadlineArmedLaterStillRunsFirst) {
  ThreadDeadlineTimer timer;
  std::mutex mutex;
  std::vector<int> order;
  timer.After(300ms, [&] {
    std::lock_guard lock(mutex);
    order.push_back(2);
  });
  timer.After(50ms, [&] {
    std::lock_guard lock(mutex);
    order.push_back(1);
  });
  ASSERT_TRUE(testing::Eventually(
      [&] {
        std::lock_guard lock(mutex);
        return order.size() == 2;
      },
      5s));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace orders::command

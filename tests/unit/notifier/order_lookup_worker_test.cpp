// The lookup worker: questions from the hub's thread, answers posted back,
// the read model asked off that thread, in batches, and only with UUIDs.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <orders/notifier/order_lookup_worker.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>

#include "cache_budget.hpp"

namespace orders::notifier {
namespace {

// The read model in memory; `gate` holds every fetch until opened, so a test can queue questions.
class MemorySource : public OrderSource {
 public:
  platform::Result<std::vector<domain::Order>> Fetch(const std::vector<std::string>& order_ids) override {
    std::unique_lock lock(mutex);
    ++entered;
    opened.wait(lock, [&] { return open; });
    batches.push_back(order_ids);
    if (failing) return platform::Error{"connection refused"};
    std::vector<domain::Order> found;
    for (const auto& id : order_ids) {
      if (auto it = orders.find(id); it != orders.end()) found.push_back(it->second);
    }
    return found;
  }
  void Open() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    opened.notify_all();
  }
  // Whether the worker is inside a fetch (held at the gate while it is closed).
  bool Entered() {
    std::lock_guard lock(mutex);
    return entered > 0;
  }
  std::size_t BatchCount() {
    std::lock_guard lock(mutex);
    return batches.size();
  }

  std::mutex mutex;
  std::condition_variable opened;
  bool open = true;
  int entered = 0;
  bool failing = false;
  std::map<std::string, domain::Order> orders;
  std::vector<std::vector<std::string>> batches;
};

// The hub's thread, played by the test: posted answers wait here until Run().
class Posted {
 public:
  std::function<void(std::function<void()>)> Poster() {
    return [this](std::function<void()> answer) {
      std::lock_guard lock(mutex_);
      answers_.push_back(std::move(answer));
    };
  }
  std::size_t Run() {
    std::vector<std::function<void()>> answers;
    {
      std::lock_guard lock(mutex_);
      answers.swap(answers_);
    }
    for (auto& answer : answers) answer();
    return answers.size();
  }
  std::size_t Waiting() {
    std::lock_guard lock(mutex_);
    return answers_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<std::function<void()>> answers_;
};

domain::Order OrderWithId(const std::string& id) {
  domain::Order order;
  order.order_id = id;
  order.customer_id = "customer-1";
  order.version = 3;
  return order;
}

class OrderLookupWorkerTest : public ::testing::Test {
 protected:
  std::vector<OrderLookupResult> results_;
  std::function<void(OrderLookupResult)> Record() {
    return [this](OrderLookupResult result) { results_.push_back(std::move(result)); };
  }
  bool AnswersArrive(std::size_t count) {
    return testing::Eventually([&] {
      posted_.Run();
      return results_.size() >= count;
    });
  }

  MemorySource source_;
  Posted posted_;
};

TEST_F(OrderLookupWorkerTest, FoundAndAbsentComeBackOnTheHubsThread) {
  source_.orders.emplace(CacheTestId(1), OrderWithId(CacheTestId(1)));
  OrderLookupWorker worker(source_, posted_.Poster());
  worker.Find(CacheTestId(1), Record());
  worker.Find(CacheTestId(2), Record());
  EXPECT_TRUE(results_.empty()) << "never answered inside Find";
  ASSERT_TRUE(AnswersArrive(2));
  EXPECT_EQ(results_[0].outcome, OrderLookupResult::Outcome::kFound);
  EXPECT_EQ(results_[0].order->order_id, CacheTestId(1));
  EXPECT_EQ(results_[0].order->version, 3);
  EXPECT_EQ(results_[1].outcome, OrderLookupResult::Outcome::kAbsent);
}

TEST_F(OrderLookupWorkerTest, AnIdThatIsNotAUuidNeverReachesTheReadModel) {
  OrderLookupWorker worker(source_, posted_.Poster());
  for (const std::string id : {"1 OR 1=1", "'; DROP TABLE orders; --", "6F1C2B7E-8A4D-4E3B-9C1A-2D3E4F5A6B7C", ""}) {
    worker.Find(id, Record());
  }
  ASSERT_TRUE(AnswersArrive(4));
  for (const auto& result : results_) EXPECT_EQ(result.outcome, OrderLookupResult::Outcome::kAbsent);
  EXPECT_EQ(source_.BatchCount(), 0u);
}

TEST_F(OrderLookupWorkerTest, AReadModelThatCannotBeAskedIsAFailureNotAbsence) {
  source_.failing = true;
  OrderLookupWorker worker(source_, posted_.Poster());
  worker.Find(CacheTestId(1), Record());
  ASSERT_TRUE(AnswersArrive(1));
  EXPECT_EQ(results_[0].outcome, OrderLookupResult::Outcome::kFailed);
  EXPECT_EQ(results_[0].error, "connection refused");
}

TEST_F(OrderLookupWorkerTest, QuestionsWaitingTogetherAreAskedInOneQuery) {
  source_.open = false;
  OrderLookupWorker worker(source_, posted_.Poster(), {1024, 100});
  worker.Find(CacheTestId(1), Record());  // taken at once; the worker then waits at the gate
  ASSERT_TRUE(testing::Eventually([&] { return source_.Entered(); }));
  for (int i = 2; i <= 60; ++i) worker.Find(CacheTestId(i % 30 + 2), Record());
  source_.Open();
  ASSERT_TRUE(AnswersArrive(60));
  ASSERT_GE(source_.BatchCount(), 1u);
  EXPECT_EQ(source_.BatchCount(), 2u) << "the first question alone, then all the others together";
  EXPECT_EQ(source_.batches.back().size(), 30u) << "each order once, however many ask";
}

TEST_F(OrderLookupWorkerTest, PastItsQueueBoundAQuestionFailsAtOnce) {
  source_.open = false;
  OrderLookupWorker worker(source_, posted_.Poster(), {2, 100});
  worker.Find(CacheTestId(1), [](OrderLookupResult) {});
  ASSERT_TRUE(testing::Eventually([&] { return source_.Entered(); }));
  worker.Find(CacheTestId(8), [](OrderLookupResult) {});  // the two places of the queue
  worker.Find(CacheTestId(9), [](OrderLookupResult) {});
  worker.Find(CacheTestId(2), Record());
  ASSERT_TRUE(AnswersArrive(1)) << "answered while the read model is still busy";
  EXPECT_EQ(results_.back().outcome, OrderLookupResult::Outcome::kFailed);
  EXPECT_EQ(results_.back().error, "the lookup queue is full");
  source_.Open();
}

TEST_F(OrderLookupWorkerTest, StopLeavesQueuedQuestionsUnanswered) {
  source_.open = false;
  auto worker = std::make_unique<OrderLookupWorker>(source_, posted_.Poster());
  worker->Find(CacheTestId(1), Record());
  ASSERT_TRUE(testing::Eventually([&] { return source_.Entered(); }));
  worker->Find(CacheTestId(2), Record());
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    source_.Open();
  });
  worker->Stop();
  opener.join();
  posted_.Run();
  EXPECT_EQ(results_.size(), 1u) << "the question being asked when Stop came, not the queued one";
}

}  // namespace
}  // namespace orders::notifier

// GET /orders/{id}?minVersion=N without HTTP: the wait answers exactly once,
// with the order once it reaches the version, or with why not.
#include <gtest/gtest.h>

#include <deque>

#include <orders/projection/version_wait.hpp>
#include <orders/testing/builders.hpp>

namespace orders::projection {
namespace {

using Kind = VersionWaitResult::Kind;

// The read model as a map; `down` makes every read fail.
class FakeReader final : public ReadModelReader {
 public:
  platform::Result<void> Ping() override { return {}; }
  platform::Result<std::optional<OrderView>> FindOrder(const std::string& order_id) override {
    if (down) return platform::Fail("down");
    const auto it = versions.find(order_id);
    if (it == versions.end()) return std::optional<OrderView>();
    OrderView view;
    view.order.order_id = order_id;
    view.order.version = it->second;
    return std::optional(view);
  }
  platform::Result<OrderPage> ListOrders(const ListQuery&) override { return OrderPage{}; }
  platform::Result<OrderPage> OpenDeliveries(const OpenDeliveriesQuery&) override { return OrderPage{}; }
  platform::Result<std::map<domain::Status, std::int64_t>> StatusCounts() override {
    return std::map<domain::Status, std::int64_t>{};
  }
  platform::Result<std::vector<DailyRow>> Daily(const DailyQuery&) override { return std::vector<DailyRow>{}; }
  platform::Result<std::vector<CourierReportRow>> Couriers(const DailyQuery&) override {
    return std::vector<CourierReportRow>{};
  }
  platform::Result<InventoryPage> ListInventory(const InventoryQuery&) override { return InventoryPage{}; }
  platform::Result<ProductReport> Products(const ProductsQuery&) override { return ProductReport{}; }
  platform::Result<FunnelReport> Funnel(const DailyQuery&) override { return FunnelReport{}; }

  std::map<std::string, std::int64_t> versions;
  bool down = false;
};

// Runs posted tasks and timers when the test says so.
class ManualScheduler final : public Scheduler {
 public:
  void Post(std::function<void()> task) override { posted.push_back(std::move(task)); }
  void After(std::chrono::milliseconds, std::function<void()> task) override { timers.push_back(std::move(task)); }

  void RunPosted() {
    while (!posted.empty()) {
      auto task = std::move(posted.front());
      posted.pop_front();
      task();
    }
  }
  void FireTimers() {
    for (auto& timer : timers) timer();
    timers.clear();
  }

  std::deque<std::function<void()>> posted;
  std::vector<std::function<void()>> timers;
};

class VersionWaitTest : public ::testing::Test {
 protected:
  void Start(std::int64_t min_version) {
    wait_->Start(testing::kOrderId, min_version, [this](VersionWaitResult result) { answers_.push_back(result); });
  }
  // What the apply loop does after a commit.
  void Commit(std::int64_t version) {
    reader_.versions[testing::kOrderId] = version;
    waiters_.Notify({{testing::kOrderId, version}});
  }

  FakeReader reader_;
  VersionWaiters waiters_{2};
  ManualScheduler scheduler_;
  std::shared_ptr<VersionWait> wait_ = VersionWait::Create(reader_, waiters_, scheduler_, std::chrono::seconds(5));
  std::vector<VersionWaitResult> answers_;
};

TEST_F(VersionWaitTest, GivenTheVersionIsStoredAlready_ThenTheOrderIsAnsweredAtOnce) {
  reader_.versions[testing::kOrderId] = 3;

  Start(2);

  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].kind, Kind::kReached);
  EXPECT_EQ(answers_[0].view->order.version, 3);
  EXPECT_EQ(waiters_.Size(), 0u);
}

TEST_F(VersionWaitTest, GivenTheVersionIsCommittedLater_ThenTheOrderIsAnsweredOnTheScheduler) {
  Start(2);
  EXPECT_TRUE(answers_.empty());

  Commit(2);
  EXPECT_TRUE(answers_.empty());  // the wake-up runs on the scheduler, not on the apply thread
  scheduler_.RunPosted();

  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].kind, Kind::kReached);
  scheduler_.FireTimers();
  EXPECT_EQ(answers_.size(), 1u);
}

TEST_F(VersionWaitTest, GivenAWakeUpButTheReadModelReadsBelowTheVersion_ThenItIsNotReached) {
  Start(2);

  waiters_.Notify({{testing::kOrderId, 2}});  // e.g. a rebuilt read model switched in meanwhile
  scheduler_.RunPosted();

  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].kind, Kind::kNotReached);
}

TEST_F(VersionWaitTest, GivenTheVersionNeverComes_WhenTheTimerFires_ThenItTimesOut) {
  Commit(1);
  Start(2);

  scheduler_.FireTimers();

  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].kind, Kind::kTimedOut);
  EXPECT_EQ(waiters_.Size(), 0u);
}

TEST_F(VersionWaitTest, GivenTheReadModelIsDown_ThenTheWaitAnswersUnavailable) {
  reader_.down = true;

  Start(2);

  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].kind, Kind::kStoreUnavailable);
  EXPECT_EQ(waiters_.Size(), 0u);
}

TEST_F(VersionWaitTest, GivenTooManyWaiting_ThenANewWaitIsRefused) {
  Start(2);
  Start(2);

  Start(2);

  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].kind, Kind::kTooManyWaiting);
}

}  // namespace
}  // namespace orders::projection

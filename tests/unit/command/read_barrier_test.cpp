#include <orders/command/read_barrier.hpp>

#include <gtest/gtest.h>

namespace orders::command {
namespace {

using Clock = ReadBarrier::Clock;
using platform::PartitionOffsets;

class ReadBarrierTest : public ::testing::Test {
 protected:
  // Ticks with `positions`; the ends query answers `ends_` (nullopt: the broker is unreachable).
  bool Tick(const PartitionOffsets& positions) {
    return barrier_.Tick(now_, positions, [this]() -> std::optional<PartitionOffsets> {
      ++queries_;
      return ends_;
    });
  }

  ReadBarrier barrier_;
  Clock::time_point now_ = Clock::now();
  std::optional<PartitionOffsets> ends_ = PartitionOffsets{{0, 10}, {1, 4}};
  int queries_ = 0;
};

TEST_F(ReadBarrierTest, NothingIsQueriedUntilSomeoneAsks) {
  EXPECT_FALSE(Tick({{0, 10}, {1, 4}}));
  EXPECT_EQ(queries_, 0);
}

TEST_F(ReadBarrierTest, AMomentIsReadThroughOnceThePositionsReachTheEndsQueriedAfterIt) {
  const auto asked = now_;
  EXPECT_FALSE(barrier_.ReadThrough(asked));
  now_ += std::chrono::milliseconds(1);
  EXPECT_FALSE(Tick({{0, 9}, {1, 4}}));  // one record of partition 0 still unread
  EXPECT_EQ(queries_, 1);
  EXPECT_FALSE(barrier_.ReadThrough(asked));
  EXPECT_TRUE(Tick({{0, 10}, {1, 4}}));
  EXPECT_EQ(queries_, 1);  // the ends of one question are queried once
  EXPECT_TRUE(barrier_.ReadThrough(asked));
  EXPECT_TRUE(barrier_.ReadThrough(asked - std::chrono::seconds(1)));
}

TEST_F(ReadBarrierTest, EndsQueriedBeforeAMomentDoNotAnswerForIt) {
  EXPECT_FALSE(barrier_.ReadThrough(now_));
  const auto queried_at = now_;
  EXPECT_FALSE(Tick({}));  // queried now, not reached yet
  const auto later = queried_at + std::chrono::milliseconds(5);
  EXPECT_FALSE(barrier_.ReadThrough(later));  // asked while the first question is open
  now_ = later + std::chrono::milliseconds(1);
  ends_ = PartitionOffsets{{0, 12}, {1, 4}};  // two records appended meanwhile
  EXPECT_TRUE(Tick({{0, 10}, {1, 4}}));       // the first question is answered ...
  EXPECT_TRUE(barrier_.ReadThrough(queried_at));
  EXPECT_FALSE(barrier_.ReadThrough(later));  // ... not the second: its ends are queried next
  EXPECT_EQ(queries_, 1);
  EXPECT_FALSE(Tick({{0, 11}, {1, 4}}));
  EXPECT_EQ(queries_, 2);
  EXPECT_TRUE(Tick({{0, 12}, {1, 4}}));
  EXPECT_TRUE(barrier_.ReadThrough(later));
}

TEST_F(ReadBarrierTest, AnUnreachableBrokerIsAskedAgainAfterAPauseNotOnEveryPoll) {
  ends_.reset();
  EXPECT_FALSE(barrier_.ReadThrough(now_));
  EXPECT_FALSE(Tick({}));
  EXPECT_FALSE(Tick({}));
  EXPECT_EQ(queries_, 1);
  now_ += std::chrono::milliseconds(150);
  ends_ = PartitionOffsets{{0, 0}};
  EXPECT_TRUE(Tick({}));
  EXPECT_EQ(queries_, 2);
}

}  // namespace
}  // namespace orders::command

#include <gtest/gtest.h>

#include <orders/projection/version_waiters.hpp>

namespace orders::projection {
namespace {

TEST(ProjectionVersionWaiters, RunsOnlyWaitersWhoseVersionWasReachedOnce) {
  VersionWaiters waiters;
  int a = 0, b = 0, c = 0;
  waiters.Add("a", 2, [&] { ++a; });
  waiters.Add("a", 3, [&] { ++b; });
  waiters.Add("c", 1, [&] { ++c; });
  waiters.Notify({{"a", 2}});
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(waiters.Size(), 2u);
  waiters.Notify({{"a", 5}, {"c", 1}});
  waiters.Notify({{"a", 6}, {"c", 2}});
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(c, 1);
  EXPECT_EQ(waiters.Size(), 0u);
}

TEST(ProjectionVersionWaiters, RemovedWaitersNeverRunAndCapacityIsBounded) {
  VersionWaiters waiters(2);
  int runs = 0;
  auto first = waiters.Add("a", 1, [&] { ++runs; });
  ASSERT_TRUE(first);
  ASSERT_TRUE(waiters.Add("b", 1, [&] { ++runs; }));
  EXPECT_FALSE(waiters.Add("c", 1, [&] { ++runs; }));
  waiters.Remove(*first);
  waiters.Notify({{"a", 1}});
  EXPECT_EQ(runs, 0);
  waiters.ReleaseAll();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(waiters.Size(), 0u);
}

}  // namespace
}  // namespace orders::projection

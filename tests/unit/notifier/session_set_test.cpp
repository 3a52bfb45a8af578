#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

#include <orders/notifier/session_set.hpp>

namespace orders::notifier {
namespace {

TEST(SessionSet, HoldsEachIdOnceInOrder) {
  SessionSet set;
  for (SessionId id : {5, 3, 9, 3, 1, 9}) set.insert(id);
  EXPECT_EQ(std::vector<SessionId>(set.begin(), set.end()), (std::vector<SessionId>{1, 3, 5, 9}));
  EXPECT_EQ(set.count(3), 1u);
  EXPECT_EQ(set.count(4), 0u);
  set.erase(3);
  set.erase(4);  // absent: nothing happens
  EXPECT_EQ(std::vector<SessionId>(set.begin(), set.end()), (std::vector<SessionId>{1, 5, 9}));
}

// After a mass disconnect (a reconnect storm, a deploy) the `all` index must
// not keep the memory of its peak.
TEST(SessionSet, GivesMemoryBackAsMembersLeave) {
  SessionSet set;
  for (SessionId id = 1; id <= 20000; ++id) set.insert(id);
  EXPECT_GE(set.capacity(), 20000u);
  for (SessionId id = 1; id <= 19990; ++id) set.erase(id);
  EXPECT_EQ(set.size(), 10u);
  EXPECT_LE(set.capacity(), 40u);
}

TEST(SessionSet, AHashIndexGivesItsBucketsBackWhenSparse) {
  std::unordered_map<std::string, int> index;
  for (int i = 0; i < 20000; ++i) index.emplace("customer-" + std::to_string(i), i);
  const std::size_t peak = index.bucket_count();
  for (int i = 0; i < 19990; ++i) {
    index.erase("customer-" + std::to_string(i));
    ShrinkIfSparse(index);
  }
  EXPECT_EQ(index.size(), 10u);
  EXPECT_LT(index.bucket_count(), peak / 100) << "buckets: " << index.bucket_count() << " of " << peak;
  EXPECT_EQ(index.at("customer-19995"), 19995);
}

}  // namespace
}  // namespace orders::notifier

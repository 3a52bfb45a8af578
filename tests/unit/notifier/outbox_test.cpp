#include <gtest/gtest.h>

#include <orders/notifier/outbox.hpp>

namespace orders::notifier {
namespace {

SharedFrame Frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

TEST(Outbox, FramesLeaveInOrderAndCountTheirBytes) {
  Outbox outbox;
  for (int i = 0; i < 10; ++i) outbox.push_back(Frame(std::string(static_cast<std::size_t>(i + 1), 'a' + i)));
  EXPECT_EQ(outbox.size(), 10u);
  EXPECT_EQ(outbox.bytes(), 55u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(*outbox.front(), std::string(static_cast<std::size_t>(i + 1), 'a' + i));
    outbox.pop_front();
  }
  EXPECT_TRUE(outbox.empty());
  EXPECT_EQ(outbox.bytes(), 0u);
}

TEST(Outbox, AFrameCanGoFirstAndTheLastOnesCanBeDropped) {
  Outbox outbox;
  outbox.push_back(Frame("one"));
  outbox.push_back(Frame("two"));
  outbox.pop_front();
  outbox.push_front(Frame("pong"));  // into the slot the written frame left
  outbox.push_front(Frame("ping"));  // before everything
  ASSERT_EQ(outbox.size(), 3u);
  EXPECT_EQ(*outbox.at(0), "ping");
  EXPECT_EQ(*outbox.at(1), "pong");
  EXPECT_EQ(*outbox.at(2), "two");
  outbox.pop_back();
  EXPECT_EQ(outbox.bytes(), 8u);
  EXPECT_EQ(*outbox.at(outbox.size() - 1), "pong");
}

// Tens of thousands of idle connections: an empty queue must hold no storage,
// whatever it held while busy (a std::deque keeps 576 bytes even when empty).
TEST(Outbox, ADrainedOutboxGivesItsStorageBack) {
  Outbox outbox;
  EXPECT_EQ(outbox.storage_bytes(), 0u);
  for (int i = 0; i < 1000; ++i) outbox.push_back(Frame("update"));
  EXPECT_GE(outbox.storage_bytes(), 1000 * sizeof(SharedFrame));
  while (!outbox.empty()) outbox.pop_front();
  EXPECT_EQ(outbox.storage_bytes(), 0u);

  outbox.push_back(Frame("a"));
  outbox.push_back(Frame("b"));
  outbox.pop_back();
  outbox.pop_back();
  EXPECT_EQ(outbox.storage_bytes(), 0u) << "dropped from the back too";
}

TEST(Outbox, WrittenSlotsAreCompactedWhileFramesKeepComing) {
  Outbox outbox;
  // A steady stream: one in, one out, never empty. The storage stays small.
  outbox.push_back(Frame("first"));
  for (int i = 0; i < 10000; ++i) {
    outbox.push_back(Frame("next"));
    outbox.pop_front();
  }
  EXPECT_EQ(outbox.size(), 1u);
  EXPECT_LE(outbox.storage_bytes(), 8 * sizeof(SharedFrame));
}

}  // namespace
}  // namespace orders::notifier

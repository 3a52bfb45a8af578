#include <gtest/gtest.h>

#include <orders/command/order_book.hpp>
#include <orders/command/retention_config.hpp>
#include <orders/testing/builders.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using testing::At;
using testing::Placed;

constexpr auto kRetention = std::chrono::milliseconds(1h);

// An order book with a hand-moved wall clock and a one-hour key retention.
class IdempotencyRetention : public ::testing::Test {
 protected:
  IdempotencyRetention() {
    book_.SetKeyRetention(kRetention, [this] { return now_; });
  }

  // The placement of `order_id` at `at`, recorded with `key` as the log carries it.
  void ApplyPlacement(const std::string& order_id, domain::Timestamp at, const std::string& key) {
    codec::EventMetadata metadata;
    metadata.event_id = "evt-" + order_id;
    metadata.idempotency_key = key;
    metadata.request_hash = "hash-" + order_id;
    ASSERT_EQ(book_.Apply(Placed(order_id, at), metadata), domain::ApplyOutcome::kApplied);
  }

  domain::Timestamp now_ = At();
  OrderBook book_;
};

TEST_F(IdempotencyRetention, AKeyIsRememberedUntilItsRetentionAfterThePlacementHasPassed) {
  ApplyPlacement("order-1", now_, "key-1");
  now_ += 59min;
  ASSERT_TRUE(book_.FindKey("key-1"));
  EXPECT_EQ(book_.FindKey("key-1")->order_id, "order-1");
  const auto retried = book_.Reserve("key-1", {"order-2", "hash-order-1"});
  ASSERT_TRUE(retried) << "a retry within the retention meets the first placement";
  EXPECT_EQ(retried->order_id, "order-1");

  now_ += 1min;
  EXPECT_FALSE(book_.FindKey("key-1"));
  EXPECT_FALSE(book_.Reserve("key-1", {"order-2", "hash-order-2"})) << "after it, the key places a new order";
  ASSERT_TRUE(book_.FindKey("key-1"));
  EXPECT_EQ(book_.FindKey("key-1")->order_id, "order-2");
  EXPECT_FALSE(book_.FindKey("key-1")->in_log) << "reserved by the new placement, not yet in the log";
}

TEST_F(IdempotencyRetention, ExpiredKeysLeaveMemoryAsNewPlacementsArrive) {
  for (int i = 0; i < 100; ++i) {
    ApplyPlacement("order-" + std::to_string(i), now_, "key-" + std::to_string(i));
    now_ += 1min;
  }
  // 100 placements a minute apart with a one-hour retention: the last 60 are remembered.
  EXPECT_EQ(book_.KeyCount(), 60u);
  EXPECT_FALSE(book_.FindKey("key-39"));
  EXPECT_TRUE(book_.FindKey("key-41"));
}

TEST_F(IdempotencyRetention, ReplayingAPlacementOlderThanTheRetentionDoesNotBringItsKeyBack) {
  ApplyPlacement("order-old", now_ - 2h, "key-old");
  ApplyPlacement("order-recent", now_ - 10min, "key-recent");
  EXPECT_FALSE(book_.FindKey("key-old"));
  EXPECT_TRUE(book_.FindKey("key-recent"));
  EXPECT_EQ(book_.KeyCount(), 1u);
  EXPECT_TRUE(book_.Find("order-old")) << "the order itself is still known";
}

TEST_F(IdempotencyRetention, AKeyTakenAgainAfterExpiryIsKeptForItsNewPlacement) {
  ApplyPlacement("order-1", now_, "key-1");
  now_ += 2h;
  ASSERT_FALSE(book_.Reserve("key-1", {"order-2", "hash-order-2"}));
  ApplyPlacement("order-2", now_, "key-1");
  now_ += 30min;
  ApplyPlacement("order-3", now_, "key-3");  // gives the book a chance to forget what expired
  ASSERT_TRUE(book_.FindKey("key-1"));
  EXPECT_EQ(book_.FindKey("key-1")->order_id, "order-2");
}

TEST_F(IdempotencyRetention, AReservationWaitingForItsPlacementNeverExpires) {
  ASSERT_FALSE(book_.Reserve("key-1", {"order-1", "hash-order-1"}));
  now_ += 48h;
  const auto again = book_.Reserve("key-1", {"order-2", "hash-order-2"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->order_id, "order-1");
}

TEST(RetentionConfig, IdempotencyRetentionDefaultsToAWeekAndTakesADuration) {
  EXPECT_EQ(LoadRetentionConfig({}).config->idempotency_retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(LoadRetentionConfig({{"IDEMPOTENCY_RETENTION", "12h"}}).config->idempotency_retention,
            std::chrono::hours(12));
  EXPECT_EQ(LoadRetentionConfig({{"IDEMPOTENCY_RETENTION", "90"}}).config->idempotency_retention,
            std::chrono::seconds(90));
}

TEST(RetentionConfig, IdempotencyRetentionOutOfRangeOrMalformedIsAProblemThatNamesIt) {
  for (const char* bad : {"500ms", "366d", "-1h", "a day", ""}) {
    const auto result = LoadRetentionConfig({{"IDEMPOTENCY_RETENTION", bad}});
    EXPECT_FALSE(result.config) << bad;
    ASSERT_EQ(result.problems.size(), 1u) << bad;
    EXPECT_NE(result.problems[0].find("IDEMPOTENCY_RETENTION"), std::string::npos);
  }
}

TEST(RetentionConfig, WithoutAStateDirThereIsNoStoreAndFinishedOrdersStayAnHourOnceThereIsOne) {
  const auto defaults = LoadRetentionConfig({}).config;
  EXPECT_EQ(defaults->state_dir, std::nullopt);
  EXPECT_EQ(defaults->order_retention, std::chrono::hours(1));
  const auto set = LoadRetentionConfig({{"COMMAND_STATE_DIR", "/var/lib/orders/a"}, {"ORDER_RETENTION", "10m"}});
  ASSERT_TRUE(set.config);
  EXPECT_EQ(set.config->state_dir, "/var/lib/orders/a");
  EXPECT_EQ(set.config->order_retention, std::chrono::minutes(10));
}

TEST(RetentionConfig, AnEmptyStateDirOrABadOrderRetentionIsAProblemThatNamesIt) {
  EXPECT_NE(LoadRetentionConfig({{"COMMAND_STATE_DIR", ""}}).problems.at(0).find("COMMAND_STATE_DIR"),
            std::string::npos);
  for (const char* bad : {"0s", "366d", "soon"}) {
    const auto result = LoadRetentionConfig({{"ORDER_RETENTION", bad}});
    ASSERT_EQ(result.problems.size(), 1u) << bad;
    EXPECT_NE(result.problems[0].find("ORDER_RETENTION"), std::string::npos);
  }
}

TEST(RetentionConfig, SettledReservationsAreRememberedForAWeekUnlessSaidOtherwise) {
  EXPECT_EQ(LoadRetentionConfig({}).config->reservation_retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(LoadRetentionConfig({{"RESERVATION_RETENTION", "30d"}}).config->reservation_retention,
            std::chrono::hours(24 * 30));
}

TEST(RetentionConfig, AReservationRetentionUnderAnHourOrMalformedIsAProblemThatNamesIt) {
  for (const char* bad : {"59m", "10s", "366d", "forever"}) {
    const auto result = LoadRetentionConfig({{"RESERVATION_RETENTION", bad}});
    EXPECT_FALSE(result.config) << bad;
    ASSERT_EQ(result.problems.size(), 1u) << bad;
    EXPECT_NE(result.problems[0].find("RESERVATION_RETENTION must be a duration from 1h to 365d"), std::string::npos)
        << result.problems[0];
  }
}

}  // namespace
}  // namespace orders::command

#include <orders/command/uncertainty_settler.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace orders::command {
namespace {

using Clock = UncertaintySettler::Clock;
using platform::PartitionOffsets;

// Markers answered by the test: each call is kept until Answer().
class HeldMarkers : public LogMarkers {
 public:
  void AppendMarkers(platform::Partition partition_count, Done done) override {
    counts.push_back(partition_count);
    pending.push_back(std::move(done));
  }
  void Answer(std::optional<PartitionOffsets> markers) {
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done(std::move(markers));
  }
  std::vector<platform::Partition> counts;
  std::vector<Done> pending;
};

class UncertaintySettlerTest : public ::testing::Test {
 protected:
  std::optional<Clock::time_point> Tick(bool has_uncertain, const PartitionOffsets& positions) {
    return settler_.Tick(now_, has_uncertain, 2, positions);
  }

  HeldMarkers markers_;
  UncertaintySettler settler_{markers_};
  Clock::time_point now_ = Clock::now();
};

TEST_F(UncertaintySettlerTest, NothingUncertainWritesNoMarker) {
  EXPECT_FALSE(Tick(false, {{0, 5}, {1, 5}}));
  EXPECT_TRUE(markers_.counts.empty());
}

TEST_F(UncertaintySettlerTest, AnUnknownOutcomeAsksForAMarkerOnEveryPartition) {
  EXPECT_FALSE(Tick(true, {{0, 5}, {1, 5}}));
  ASSERT_EQ(markers_.counts.size(), 1u);
  EXPECT_EQ(markers_.counts[0], 2);
  now_ += std::chrono::milliseconds(100);
  EXPECT_FALSE(Tick(true, {{0, 5}, {1, 5}}));
  EXPECT_EQ(markers_.counts.size(), 1u) << "one round at a time";
}

TEST_F(UncertaintySettlerTest, NothingSettlesUntilEveryPartitionIsReadPastItsMarker) {
  const auto asked_at = now_;
  Tick(true, {{0, 5}, {1, 5}});
  now_ += std::chrono::milliseconds(10);
  EXPECT_FALSE(Tick(true, {{0, 5}, {1, 5}})) << "the markers are not acknowledged yet";
  markers_.Answer(PartitionOffsets{{0, 7}, {1, 5}});
  EXPECT_FALSE(Tick(true, {{0, 7}, {1, 9}})) << "partition 0 is read up to its marker, not past it";
  const auto cutoff = Tick(true, {{0, 8}, {1, 6}});
  ASSERT_TRUE(cutoff);
  EXPECT_EQ(*cutoff, asked_at) << "what was reported after the markers were asked for is not covered";
}

TEST_F(UncertaintySettlerTest, WhileTheMarkersAreNotAcknowledgedNothingSettlesHoweverLongItTakes) {
  Tick(true, {{0, 5}, {1, 5}});
  now_ += std::chrono::minutes(10);
  EXPECT_FALSE(Tick(true, {{0, 500}, {1, 500}}));
  EXPECT_EQ(markers_.counts.size(), 1u);
}

TEST_F(UncertaintySettlerTest, ARoundWhoseMarkersFailedIsTriedAgainASecondLater) {
  Tick(true, {{0, 5}, {1, 5}});
  markers_.Answer(std::nullopt);
  EXPECT_FALSE(Tick(true, {{0, 5}, {1, 5}}));
  now_ += UncertaintySettler::kRetryAfter / 2;
  EXPECT_FALSE(Tick(true, {{0, 5}, {1, 5}}));
  EXPECT_EQ(markers_.counts.size(), 1u);
  now_ += UncertaintySettler::kRetryAfter;
  const auto second_round_at = now_;
  EXPECT_FALSE(Tick(true, {{0, 5}, {1, 5}}));
  ASSERT_EQ(markers_.counts.size(), 2u);
  markers_.Answer(PartitionOffsets{{0, 5}, {1, 5}});
  EXPECT_EQ(Tick(true, {{0, 6}, {1, 6}}), second_round_at);
}

TEST_F(UncertaintySettlerTest, AnswersArrivingAfterTheSettlerIsGoneAreHarmless) {
  HeldMarkers markers;
  {
    UncertaintySettler settler(markers);
    settler.Tick(now_, true, 1, {{0, 1}});
  }
  markers.Answer(PartitionOffsets{{0, 1}});
  SUCCEED();
}

}  // namespace
}  // namespace orders::command

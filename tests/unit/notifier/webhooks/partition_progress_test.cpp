// The resume offset of one partition: the first offset with an unresolved
// delivery, else the next offset to read.

#include <gtest/gtest.h>

#include <orders/notifier/webhooks/partition_progress.hpp>

namespace orders::notifier::webhooks {
namespace {

TEST(PartitionProgress, ResumesAtTheFirstUnresolvedOffset) {
  PartitionProgress progress(10);
  EXPECT_EQ(progress.Resume(), 10);
  progress.Read(10, 2);
  progress.Read(11, 0);
  progress.Read(12, 1);
  EXPECT_EQ(progress.Resume(), 10);
  progress.Resolve(12);
  progress.Resolve(10);
  EXPECT_EQ(progress.Resume(), 10) << "one of offset 10's two deliveries is still open";
  progress.Resolve(10);
  EXPECT_EQ(progress.Resume(), 13);
}

TEST(PartitionProgress, AnUnknownStartIsLearnedFromTheFirstRecord) {
  PartitionProgress progress(std::nullopt);
  EXPECT_EQ(progress.Resume(), std::nullopt);
  EXPECT_EQ(progress.TakeChange(), std::nullopt);
  progress.Read(500, 0);
  EXPECT_EQ(progress.Resume(), 501);
}

TEST(PartitionProgress, OnlyMovesAreReportedForSaving) {
  PartitionProgress progress(0);
  EXPECT_EQ(progress.TakeChange(), 0);
  EXPECT_EQ(progress.TakeChange(), std::nullopt);
  progress.Read(0, 1);
  EXPECT_EQ(progress.TakeChange(), std::nullopt);
  progress.Resolve(0);
  EXPECT_EQ(progress.TakeChange(), 1);
  progress.Resolve(0);  // resolving twice changes nothing
  EXPECT_EQ(progress.TakeChange(), std::nullopt);
}

}  // namespace
}  // namespace orders::notifier::webhooks

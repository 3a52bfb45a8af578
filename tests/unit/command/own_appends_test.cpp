#include <gtest/gtest.h>

#include <orders/command/own_appends.hpp>

namespace orders::command {
namespace {

TEST(OwnAppends, ARecordFoldedAtItsAcknowledgementIsPassedOverOnce) {
  OwnAppends own;
  own.Folded(2, 10);
  EXPECT_TRUE(own.Take(2, 10));
  EXPECT_FALSE(own.Take(2, 10));
}

TEST(OwnAppends, RecordsNeverNotedAreFolded) {
  OwnAppends own;
  EXPECT_FALSE(own.Take(0, 0));
  own.Folded(0, 5);
  EXPECT_FALSE(own.Take(0, 4)) << "another instance's record, or an unknown outcome";
  EXPECT_TRUE(own.Take(0, 5));
}

TEST(OwnAppends, ANoteTheFollowerAlreadyPassedIsForgottenAtItsNextRecord) {
  OwnAppends own;
  // The follower read offset 7 before its acknowledgement; the note came after.
  own.Folded(1, 7);
  EXPECT_FALSE(own.Take(1, 8));
  EXPECT_EQ(own.NoteCount(), 0u);
}

TEST(OwnAppends, PartitionsAreKeptApart) {
  OwnAppends own;
  own.Folded(0, 3);
  own.Folded(1, 3);
  EXPECT_TRUE(own.Take(1, 3));
  EXPECT_TRUE(own.Take(0, 3));
}

TEST(OwnAppends, AcknowledgementsOutOfOrderAreNeverPassedOverWrongly) {
  OwnAppends own;
  own.Folded(0, 9);
  own.Folded(0, 8);
  EXPECT_FALSE(own.Take(0, 8)) << "a miss only costs a decode";
  EXPECT_TRUE(own.Take(0, 9));
  EXPECT_FALSE(own.Take(0, 10));
  EXPECT_EQ(own.NoteCount(), 0u);
}

TEST(OwnAppends, PastTheCapTheOldestNotesAreDroppedAndThoseRecordsFoldedAgain) {
  OwnAppends own(2);
  own.Folded(0, 1);
  own.Folded(0, 2);
  own.Folded(0, 3);
  EXPECT_EQ(own.NoteCount(), 2u);
  EXPECT_FALSE(own.Take(0, 1));
  EXPECT_TRUE(own.Take(0, 2));
  EXPECT_TRUE(own.Take(0, 3));
}

}  // namespace
}  // namespace orders::command

#include <gtest/gtest.h>

#include <orders/projection/cursor.hpp>
#include <orders/testing/builders.hpp>

namespace orders::projection {
namespace {

TEST(ProjectionCursor, RoundTrips) {
  const ListCursor cursor{testing::At(1764000000123), testing::kOrderId};
  const auto text = EncodeCursor(cursor);
  EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(DecodeCursor(text), cursor);
}

TEST(ProjectionCursor, RejectsWhatItDidNotWrite) {
  const auto valid = EncodeCursor({testing::At(), testing::kOrderId});
  EXPECT_FALSE(DecodeCursor(""));
  EXPECT_FALSE(DecodeCursor("!!!!"));
  EXPECT_FALSE(DecodeCursor(valid + "A"));
  EXPECT_FALSE(DecodeCursor(valid.substr(0, valid.size() - 3)));
  EXPECT_FALSE(DecodeCursor(Base64UrlEncode("c1|123|not-a-uuid")));
  EXPECT_FALSE(DecodeCursor(Base64UrlEncode("c1|-5|" + std::string(testing::kOrderId))));
  EXPECT_FALSE(DecodeCursor(Base64UrlEncode("c2|5|" + std::string(testing::kOrderId))));
  EXPECT_FALSE(DecodeCursor(Base64UrlEncode("c1||" + std::string(testing::kOrderId))));
  EXPECT_FALSE(DecodeCursor(std::string(200, 'A')));
  // One spelling per value: a leading zero is not what EncodeCursor writes.
  EXPECT_FALSE(DecodeCursor(Base64UrlEncode("c1|0123|" + std::string(testing::kOrderId))));
  EXPECT_TRUE(DecodeCursor(Base64UrlEncode("c1|0|" + std::string(testing::kOrderId))));
  // Nor is a signed zero (found by the cursor fuzzer).
  EXPECT_FALSE(DecodeCursor(Base64UrlEncode("c1|-0|" + std::string(testing::kOrderId))));
}

TEST(ProjectionCursor, Base64UrlMatchesKnownVectors) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("Zm9v"), "foo");
  EXPECT_EQ(Base64UrlDecode("Zg"), "f");
  EXPECT_FALSE(Base64UrlDecode("Zh"));  // non-zero leftover bits
  EXPECT_FALSE(Base64UrlDecode("Z"));
}

}  // namespace
}  // namespace orders::projection

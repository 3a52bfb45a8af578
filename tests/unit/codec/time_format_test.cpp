#include <gtest/gtest.h>

#include <orders/codec/time_format.hpp>
#include <orders/testing/builders.hpp>

namespace orders::codec {
namespace {

TEST(TimeFormat, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(testing::At(1764000000123)), "2025-11-24T16:00:00.123Z");
  EXPECT_EQ(FormatTimestamp(testing::At(0)), "1970-01-01T00:00:00.000Z");
}

TEST(TimeFormat, ParsesWhatItFormats) {
  for (std::int64_t ms : {0LL, 951782400999LL, 1764000000123LL, 4102444799999LL}) {
    EXPECT_EQ(ParseTimestamp(FormatTimestamp(testing::At(ms))), testing::At(ms));
  }
}

TEST(TimeFormat, RefusesOtherFormatsAndImpossibleDates) {
  for (const char* text : {"2025-11-24T16:00:00Z", "2025-11-24 16:00:00.000Z", "2025-02-30T00:00:00.000Z",
                           "2025-11-24T24:00:00.000Z", "2025-11-24T16:00:00.000+01:00", "", "garbage"}) {
    EXPECT_EQ(ParseTimestamp(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace orders::codec

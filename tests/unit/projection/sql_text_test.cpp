#include <gtest/gtest.h>

#include "pg/sql_text.hpp"

namespace orders::projection {
namespace {

TEST(ProjectionSqlText, ArrayLiteralQuotesEscapesAndWritesNull) {
  EXPECT_EQ(ArrayLiteral(std::vector<std::string>{}), "{}");
  EXPECT_EQ(ArrayLiteral(std::vector<std::string>{"a", "b c"}), R"({"a","b c"})");
  EXPECT_EQ(ArrayLiteral(std::vector<std::string>{R"([{"k":"v\"x"}])"}), R"({"[{\"k\":\"v\\\"x\"}]"})");
  EXPECT_EQ(ArrayLiteral(std::vector<std::optional<std::string>>{"NULL", std::nullopt}), R"({"NULL",NULL})");
}

TEST(ProjectionSqlText, TextIsMadeSafeForPostgres) {
  EXPECT_EQ(PgText(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(PrintableText(std::string("k\0\xff\n", 4)), "k???");
  EXPECT_EQ(PrintableText("abcdef", 3), "abc");
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
}

}  // namespace
}  // namespace orders::projection

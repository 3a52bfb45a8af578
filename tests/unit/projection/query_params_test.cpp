#include <gtest/gtest.h>

#include <orders/projection/query_params.hpp>
#include <orders/testing/builders.hpp>

namespace orders::projection {
namespace {

using std::chrono::sys_days;

std::vector<std::string> Fields(const ParamErrors& errors) {
  std::vector<std::string> fields;
  for (const auto& error : errors) fields.push_back(error.field);
  return fields;
}

TEST(ProjectionParams, OrderLookupAcceptsAnOrderIdAndOptionalMinVersion) {
  auto plain = ParseOrderLookup(testing::kOrderId, {});
  ASSERT_TRUE(plain.value);
  EXPECT_FALSE(plain.value->min_version);
  auto waiting = ParseOrderLookup(testing::kOrderId, {{"minVersion", "3"}});
  ASSERT_TRUE(waiting.value);
  EXPECT_EQ(waiting.value->min_version, 3);
}

TEST(ProjectionParams, OrderLookupRefusesBadInputs) {
  EXPECT_EQ(Fields(ParseOrderLookup("nope", {}).errors), std::vector<std::string>{"orderId"});
  for (const char* bad : {"0", "-1", "x", "", "1.5", " 2", "99999999999999999999"}) {
    EXPECT_EQ(Fields(ParseOrderLookup(testing::kOrderId, {{"minVersion", bad}}).errors),
              std::vector<std::string>{"minVersion"})
        << bad;
  }
  EXPECT_EQ(Fields(ParseOrderLookup(testing::kOrderId, {{"minversion", "1"}}).errors),
            std::vector<std::string>{"minversion"});
}

TEST(ProjectionParams, ListQueryDefaultsAndFilters) {
  auto defaults = ParseListQuery({});
  ASSERT_TRUE(defaults.value);
  EXPECT_EQ(defaults.value->limit, kDefaultPageSize);
  auto full = ParseListQuery({{"customerId", "c-1"},
                              {"status", "out_for_delivery"},
                              {"limit", "500"},
                              {"cursor", EncodeCursor({testing::At(), testing::kOrderId})}});
  ASSERT_TRUE(full.value) << full.errors.size();
  EXPECT_EQ(full.value->customer_id, "c-1");
  EXPECT_EQ(full.value->status, domain::Status::kOutForDelivery);
  EXPECT_EQ(full.value->limit, 500);
  ASSERT_TRUE(full.value->cursor);
  EXPECT_EQ(full.value->cursor->order_id, testing::kOrderId);
}

TEST(ProjectionParams, ListQueryReportsEveryBadParameter) {
  auto parsed = ParseListQuery(
      {{"customerId", "has space"}, {"status", "lost"}, {"limit", "501"}, {"cursor", "garbage!"}, {"page", "2"}});
  EXPECT_FALSE(parsed.value);
  auto fields = Fields(parsed.errors);
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"cursor", "customerId", "limit", "page", "status"}));
  EXPECT_FALSE(ParseListQuery({{"limit", "0"}}).value);
  EXPECT_FALSE(ParseListQuery({{"customerId", std::string(65, 'a')}}).value);
  EXPECT_FALSE(ParseListQuery({{"customerId", ""}}).value);
}

TEST(ProjectionParams, DailyQueryDefaultsToTheLast30Days) {
  const sys_days today{std::chrono::year{2026} / 3 / 15};
  auto parsed = ParseDailyQuery({}, today);
  ASSERT_TRUE(parsed.value);
  EXPECT_EQ(parsed.value->to, today);
  EXPECT_EQ((parsed.value->to - parsed.value->from).count(), 29);
  auto explicit_range = ParseDailyQuery({{"from", "2024-02-28"}, {"to", "2024-03-01"}}, today);
  ASSERT_TRUE(explicit_range.value);
  EXPECT_EQ(FormatDate(explicit_range.value->from), "2024-02-28");
  EXPECT_EQ((explicit_range.value->to - explicit_range.value->from).count(), 2);  // leap year
}

TEST(ProjectionParams, DailyQueryRefusesBadDatesAndRanges) {
  const sys_days today{std::chrono::year{2026} / 3 / 15};
  for (const char* bad : {"2024-02-30", "2024-13-01", "24-01-01", "2024/01/01", "2024-01-1x", "1969-12-31"}) {
    EXPECT_EQ(Fields(ParseDailyQuery({{"from", bad}, {"to", "2024-03-01"}}, today).errors),
              std::vector<std::string>{"from"})
        << bad;
  }
  EXPECT_EQ(Fields(ParseDailyQuery({{"from", "2024-03-02"}, {"to", "2024-03-01"}}, today).errors),
            std::vector<std::string>{"from"});
  EXPECT_EQ(Fields(ParseDailyQuery({{"from", "2022-01-01"}, {"to", "2024-03-01"}}, today).errors),
            std::vector<std::string>{"to"});
  EXPECT_TRUE(ParseDailyQuery({{"from", "2024-01-01"}, {"to", "2024-12-31"}}, today).value);  // 366 days
}

TEST(ProjectionParams, ListCreationRangeTakesDaysOrTimestampsBothEndsInclusive) {
  using std::chrono::milliseconds;
  const auto day = std::chrono::sys_days{std::chrono::year{2026} / 12 / 4};
  auto days = ParseListQuery({{"from", "2026-12-04"}, {"to", "2026-12-04"}});
  ASSERT_TRUE(days.value);
  EXPECT_EQ(days.value->created_from, domain::Timestamp{day});
  EXPECT_EQ(days.value->created_before, domain::Timestamp{day + std::chrono::days(1)});
  auto instants = ParseListQuery({{"from", "2026-12-04T08:00:00.000Z"}, {"to", "2026-12-04T08:00:00.000Z"}});
  ASSERT_TRUE(instants.value);
  EXPECT_EQ(instants.value->created_from, domain::Timestamp{day} + std::chrono::hours(8));
  EXPECT_EQ(instants.value->created_before, domain::Timestamp{day} + std::chrono::hours(8) + milliseconds(1));
  EXPECT_EQ(Fields(ParseListQuery({{"from", "2026-12-05"}, {"to", "2026-12-04"}}).errors),
            std::vector<std::string>{"from"});
  EXPECT_EQ(Fields(ParseListQuery({{"from", "2026-02-30"}, {"to", "noon"}}).errors),
            (std::vector<std::string>{"from", "to"}));
}

TEST(ProjectionParams, ProductsQueryTakesTheRangeAndALimitUpTo100) {
  const auto today = std::chrono::sys_days{std::chrono::year{2024} / 3 / 1};
  auto defaults = ParseProductsQuery({}, today);
  ASSERT_TRUE(defaults.value);
  EXPECT_EQ(defaults.value->limit, 10);
  EXPECT_EQ(defaults.value->range.to, today);
  EXPECT_EQ(ParseProductsQuery({{"limit", "100"}}, today).value->limit, 100);
  for (const char* bad : {"0", "101", "-1", "x", ""}) {
    EXPECT_EQ(Fields(ParseProductsQuery({{"limit", bad}}, today).errors), std::vector<std::string>{"limit"}) << bad;
  }
  EXPECT_EQ(Fields(ParseProductsQuery({{"limit", "0"}, {"from", "2024-03-02"}}, today).errors),
            (std::vector<std::string>{"limit", "from"}));
  EXPECT_EQ(Fields(ParseProductsQuery({{"top", "3"}}, today).errors), std::vector<std::string>{"top"});
}

TEST(ProjectionParams, ReportsWithoutParametersRefuseAnyParameter) {
  EXPECT_TRUE(ParseNoParams({}).value);
  EXPECT_EQ(Fields(ParseNoParams({{"x", "1"}}).errors), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace orders::projection

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/projection/daily_report.hpp>

namespace orders::projection {
namespace {

using Json = nlohmann::json;

std::chrono::sys_days Day(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

TEST(DailyReport, RevenueIsPerCurrencyAndNeverSummedAcrossCurrencies) {
  const auto body = DailyReportJson(
      {{Day(2026, 12, 3), 0, 0, 0, {}}, {Day(2026, 12, 4), 3, 2, 1, {{"EUR", "500"}, {"USD", "1250"}}}});
  const auto json = Json::parse(body);
  EXPECT_EQ(json, Json::parse(R"({"days":[
      {"date":"2026-12-03","placed":0,"delivered":0,"cancelled":0,"revenue":{}},
      {"date":"2026-12-04","placed":3,"delivered":2,"cancelled":1,"revenue":{"EUR":500,"USD":1250}}]})"));
}

TEST(DailyReport, TotalsBeyondSixtyFourBitsAreWrittenDigitForDigit) {
  const std::string beyond_int64 = "18000000000000000000";             // two orders of 9e18 cents
  const std::string beyond_uint64 = "123456789012345678901234567890";  // more than any 64-bit integer
  const auto body = DailyReportJson({{Day(2026, 12, 4), 2, 2, 0, {{"EUR", beyond_uint64}, {"USD", beyond_int64}}}});
  EXPECT_NE(body.find(R"("revenue":{"EUR":123456789012345678901234567890,"USD":18000000000000000000})"),
            std::string::npos)
      << body;
  EXPECT_FALSE(Json::parse(body, nullptr, false).is_discarded()) << "still valid JSON";
}

TEST(DailyReport, EntriesThatAreNotACurrencyAndDigitsAreLeftOut) {
  const auto body = DailyReportJson({{Day(2026, 12, 4), 1, 1, 0, {{"US\"D", "1"}, {"EUR", "1e3"}, {"GBP", "7"}}}});
  EXPECT_EQ(Json::parse(body)["days"][0]["revenue"], Json::parse(R"({"GBP":7})"));
}

}  // namespace
}  // namespace orders::projection

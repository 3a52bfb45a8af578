#include <gtest/gtest.h>

#include <orders/projection/minute_histogram.hpp>
#include <orders/projection/report_bodies.hpp>

namespace orders::projection {
namespace {

MinuteHistogram With(std::initializer_list<std::pair<std::size_t, std::int64_t>> counts) {
  MinuteHistogram histogram(kMinuteBuckets.size(), 0);
  for (const auto& [bucket, count] : counts) histogram[bucket] = count;
  return histogram;
}

TEST(MinuteHistogram, BoundsStartAtZeroAndGrow) {
  EXPECT_EQ(kMinuteBuckets.front(), 0);
  for (std::size_t i = 1; i < kMinuteBuckets.size(); ++i) EXPECT_LT(kMinuteBuckets[i - 1], kMinuteBuckets[i]);
  EXPECT_EQ(MinuteBucketsLiteral().substr(0, 9), "{0,2,4,6,");
}

TEST(MinuteHistogram, QuantilesInterpolateInsideTheirBucket) {
  // 4 durations in [30, 35), 4 in [60, 65).
  const auto histogram = With({{15, 4}, {21, 4}});
  EXPECT_DOUBLE_EQ(*QuantileMinutes(histogram, 0.5), 60.0);
  EXPECT_DOUBLE_EQ(*QuantileMinutes(histogram, 0.25), 32.5);
  EXPECT_DOUBLE_EQ(*QuantileMinutes(histogram, 0.9), 64.0);  // rank 7.2: 3.2 of the 4 in [60, 65)
  EXPECT_FALSE(QuantileMinutes(With({}), 0.5));
  // The open last bucket ("a day or more") answers its lower bound.
  EXPECT_DOUBLE_EQ(*QuantileMinutes(With({{kMinuteBuckets.size() - 1, 3}}), 0.9), 1440.0);
  EXPECT_EQ(RoundedQuantile(With({{0, 3}}), 0.5), 1.0);
}

TEST(MinuteHistogram, ArraysFromPostgresAreParsedAndAdded) {
  EXPECT_EQ(ParseHistogram("{1,0,3}"), (MinuteHistogram{1, 0, 3}));
  EXPECT_EQ(ParseHistogram("{}"), MinuteHistogram{});
  for (const char* bad : {"", "{", "1,2", "{1,,2}", "{1,x}", "{-1}", "{1,2,}"})
    EXPECT_FALSE(ParseHistogram(bad)) << bad;
  MinuteHistogram sum;
  AddHistogram(sum, {1, 2});
  AddHistogram(sum, {3});
  EXPECT_EQ(sum.size(), kMinuteBuckets.size());
  EXPECT_EQ(sum[0], 4);
  EXPECT_EQ(sum[1], 2);
}

TEST(ReportBodies, ProductRevenueIsPerCurrencyAndWrittenDigitForDigit) {
  ProductsQuery query{{std::chrono::sys_days{std::chrono::year{2026} / 11 / 1},
                       std::chrono::sys_days{std::chrono::year{2026} / 11 / 30}},
                      10};
  ProductReport report;
  report.by_quantity = {{"sku-\"1", 40, ""}};
  report.by_revenue["USD"] = {{"sku-2", 3, "18000000000000000000"}, {"sku-3", 1, "1e3"}};
  report.by_revenue["U\"S"] = {{"sku-2", 3, "1"}};
  EXPECT_EQ(ProductReportJson(query, report),
            R"({"from":"2026-11-01","to":"2026-11-30","byQuantity":[{"productId":"sku-\"1","quantity":40}],)"
            R"("byRevenue":{"USD":[{"productId":"sku-2","revenueCents":18000000000000000000,"quantity":3}]}})");
}

TEST(ReportBodies, FunnelGivesNullMinutesWhenNoOrderMadeTheStep) {
  DailyQuery range{std::chrono::sys_days{std::chrono::year{2026} / 11 / 1},
                   std::chrono::sys_days{std::chrono::year{2026} / 11 / 1}};
  FunnelReport report{5, 4, 2, 1, {{"out_of_stock", 1}}, With({{1, 4}}), {}};
  EXPECT_EQ(FunnelReportJson(range, report),
            R"({"from":"2026-11-01","to":"2026-11-01","placed":5,"confirmed":4,"delivered":2,"cancelled":1,)"
            R"("cancelledByReason":[{"orders":1,"reason":"out_of_stock"}],)"
            R"("medianMinutes":{"placedToConfirmed":3.0,"confirmedToDelivered":null}})");
}

}  // namespace
}  // namespace orders::projection

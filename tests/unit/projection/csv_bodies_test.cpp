#include <gtest/gtest.h>

#include <orders/projection/csv_bodies.hpp>

namespace orders::projection {
namespace {

TEST(CsvBodies, FieldsAreQuotedOnlyWhenTheyMustBe) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(CsvField("one\nline"), "\"one\nline\"");
}

TEST(CsvBodies, AcceptChoosesJsonOrCsvOrNeither) {
  EXPECT_EQ(NegotiateFormat(""), BodyFormat::kJson);
  EXPECT_EQ(NegotiateFormat("*/*"), BodyFormat::kJson);
  EXPECT_EQ(NegotiateFormat("application/json"), BodyFormat::kJson);
  EXPECT_EQ(NegotiateFormat("text/csv"), BodyFormat::kCsv);
  EXPECT_EQ(NegotiateFormat("Text/CSV; charset=utf-8"), BodyFormat::kCsv);
  EXPECT_EQ(NegotiateFormat("text/html, text/csv;q=0.9, */*;q=0.1"), BodyFormat::kCsv);
  EXPECT_EQ(NegotiateFormat("text/csv;q=0, application/json"), BodyFormat::kJson);
  EXPECT_EQ(NegotiateFormat("text/*"), BodyFormat::kCsv);
  EXPECT_FALSE(NegotiateFormat("text/html"));
  EXPECT_FALSE(NegotiateFormat("application/xml, image/png"));
  EXPECT_FALSE(NegotiateFormat("text/csv;q=0"));
}

TEST(CsvBodies, ReportsHaveAHeaderRowAndCrlfLines) {
  std::map<domain::Status, std::int64_t> counts{{domain::Status::kPending, 2}, {domain::Status::kDelivered, 1}};
  EXPECT_EQ(StatusCountsCsv(counts), "status,orders\r\npending,2\r\ndelivered,1\r\n");
  const auto day = std::chrono::sys_days{std::chrono::year{2026} / 12 / 4};
  EXPECT_EQ(DailyCsv({{day, 3, 2, 0, {{"EUR", "500"}, {"USD", "18000000000000000000"}}},
                      {day + std::chrono::days(1), 0, 0, 0, {}}}),
            "date,placed,delivered,cancelled,currency,revenueCents\r\n"
            "2026-12-04,3,2,0,EUR,500\r\n2026-12-04,3,2,0,USD,18000000000000000000\r\n2026-12-05,0,0,0,,\r\n");
  ProductReport products;
  products.by_quantity = {{"sku,1", 4, ""}};
  products.by_revenue["USD"] = {{"sku,1", 4, "600"}};
  EXPECT_EQ(ProductsCsv(products),
            "ranking,currency,rank,productId,quantity,revenueCents\r\n"
            "quantity,,1,\"sku,1\",4,\r\nrevenue,USD,1,\"sku,1\",4,600\r\n");
  FunnelReport funnel{5, 4, 2, 1, {{"said \"no\"", 1}}, {}, {}};
  EXPECT_EQ(FunnelCsv(funnel),
            "step,reason,orders,medianMinutes\r\nplaced,,5,\r\nconfirmed,,4,\r\ndelivered,,2,\r\n"
            "cancelled,\"said \"\"no\"\"\",1,\r\n");
}

}  // namespace
}  // namespace orders::projection

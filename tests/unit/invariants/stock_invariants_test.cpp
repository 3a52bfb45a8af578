// The inventory log's invariants (stock_rules.hpp), each shown failing on a
// hand-built log that breaks it and holding on one that keeps it.
#include <gtest/gtest.h>

#include <orders/invariants/stock_rules.hpp>

#include "invariant_log_builders.hpp"

namespace orders::invariants {
namespace {

using namespace test_logs;

Report Checked(const std::vector<domain::StockEvent>& events, StockFold* fold = nullptr) {
  Report report;
  auto folded = CheckStockLog(StockLog(events), report);
  if (fold) *fold = std::move(folded);
  return report;
}

TEST(StockInvariants, SetReserveReleaseAndCommitHoldAndFoldToTheOpenReservations) {
  StockFold fold;
  const auto report = Checked({Set(1, 10), Reserved(2, "o-1", 4), Reserved(3, "o-2", 6), Released(4, "o-1", 4),
                               Reserved(5, "o-3", 3), Committed(6, "o-2", 6)},
                              &fold);
  EXPECT_TRUE(report.ok()) << report.Summary();
  const auto& product = fold.products.at(kProduct);
  EXPECT_EQ(product.version, 6);
  EXPECT_EQ(product.on_hand, 4);  // 10, less the 6 delivered
  EXPECT_EQ(product.reserved, 3);
  EXPECT_EQ(product.open, (std::map<std::string, std::int64_t>{{"o-3", 3}}));
  EXPECT_EQ(fold.orders, (std::set<std::string>{"o-1", "o-2", "o-3"}));
  EXPECT_EQ(fold.last_event_at, After(6));
}

TEST(StockInvariants, UndecodableRecordIsReported) {
  Report report;
  CheckStockLog({{2, 9, std::nullopt, "bad json"}}, report);
  EXPECT_TRUE(Mentions(report, "undecodable inventory record at partition 2 offset 9")) << report.Summary();
}

TEST(StockInvariants, DuplicateVersionIsReportedAndItsQuantityNotCountedAgain) {
  StockFold fold;
  const auto report = Checked({Set(1, 10), Reserved(2, "o-1", 4), Reserved(2, "o-1", 4)}, &fold);
  EXPECT_TRUE(Mentions(report, "duplicate version in the inventory log (product sku-1, version 2")) << report.Summary();
  EXPECT_EQ(fold.products.at(kProduct).reserved, 4);
}

TEST(StockInvariants, GapIsReportedAndTheRecordsAfterItAreStillChecked) {
  const auto report = Checked({Set(1, 10), Reserved(3, "o-1", 4), Reserved(4, "o-2", 7)});
  EXPECT_TRUE(Mentions(report, "gap before this version in the inventory log (product sku-1, version 3"))
      << report.Summary();
  EXPECT_TRUE(Mentions(report, "order o-2 reserved 7 when only 6 were available")) << report.Summary();
}

TEST(StockInvariants, AProductWhoseFirstEventIsNotAStockSetIsReported) {
  const auto report = Checked({Reserved(1, "o-1", 1)});
  EXPECT_TRUE(Mentions(report, "first event of a product is not a stock_set")) << report.Summary();
}

TEST(StockInvariants, AReservationBeyondWhatIsAvailableIsReported) {
  EXPECT_TRUE(Checked({Set(1, 5), Reserved(2, "o-1", 5)}).ok());
  const auto report = Checked({Set(1, 5), Reserved(2, "o-1", 3), Reserved(3, "o-2", 3)});
  EXPECT_TRUE(Mentions(report, "order o-2 reserved 3 when only 2 were available (onHand 5, reserved 3)"))
      << report.Summary();
}

// A stock count below what is reserved is a fact, not a violation; from then
// on nothing is available until the count covers the reservations again.
TEST(StockInvariants, StockSetBelowReservedIsAllowedButLeavesNothingToReserve) {
  EXPECT_TRUE(Checked({Set(1, 10), Reserved(2, "o-1", 8), Set(3, 5)}).ok());
  const auto over = Checked({Set(1, 10), Reserved(2, "o-1", 8), Set(3, 5), Reserved(4, "o-2", 1)});
  EXPECT_TRUE(Mentions(over, "order o-2 reserved 1 when only 0 were available (onHand 5, reserved 8)"))
      << over.Summary();
  EXPECT_TRUE(Checked({Set(1, 10), Reserved(2, "o-1", 8), Set(3, 5), Set(4, 9), Reserved(5, "o-2", 1)}).ok());
}

TEST(StockInvariants, ASecondOpenReservationOfOneOrderIsCountedTwice) {
  StockFold fold;
  const auto report = Checked({Set(1, 10), Reserved(2, "o-1", 2), Reserved(3, "o-1", 2)}, &fold);
  EXPECT_TRUE(
      Mentions(report, "order o-1 reserved the product again while holding 2 of it (a reservation counted twice)"))
      << report.Summary();
  EXPECT_EQ(fold.products.at(kProduct).reserved, 2);
}

TEST(StockInvariants, AReservationAgainAfterItWasReleasedOrRefusedIsReported) {
  const auto released = Checked({Set(1, 10), Reserved(2, "o-1", 2), Released(3, "o-1", 2), Reserved(4, "o-1", 2)});
  EXPECT_TRUE(Mentions(released, "order o-1 reserved the product again after its reservation was refused"))
      << released.Summary();
  const auto refused = Checked({Set(1, 1), Refused(2, "o-1", 2, 1), Set(3, 5), Reserved(4, "o-1", 2)});
  EXPECT_TRUE(Mentions(refused, "order o-1 reserved the product again after")) << refused.Summary();
}

TEST(StockInvariants, ARefusalMustStateTheAvailabilityAndAskForMoreThanIt) {
  EXPECT_TRUE(Checked({Set(1, 3), Reserved(2, "o-1", 2), Refused(3, "o-2", 2, 1)}).ok());
  const auto wrong_available = Checked({Set(1, 3), Reserved(2, "o-1", 2), Refused(3, "o-2", 2, 0)});
  EXPECT_TRUE(Mentions(wrong_available, "a refusal of order o-2 says 0 were available, the log says 1"))
      << wrong_available.Summary();
  const auto it_fitted = Checked({Set(1, 3), Refused(2, "o-2", 2, 3)});
  EXPECT_TRUE(Mentions(it_fitted, "order o-2 was refused 2 units while 3 were available")) << it_fitted.Summary();
  const auto while_holding = Checked({Set(1, 3), Reserved(2, "o-1", 2), Refused(3, "o-1", 2, 1)});
  EXPECT_TRUE(Mentions(while_holding, "order o-1 was refused while it holds a reservation")) << while_holding.Summary();
}

TEST(StockInvariants, AReleaseOrCommitWithoutAnOpenReservationIsReported) {
  const auto never = Checked({Set(1, 3), Released(2, "o-1", 1)});
  EXPECT_TRUE(Mentions(never, "order o-1 released 1 units without an open reservation")) << never.Summary();
  const auto twice = Checked({Set(1, 3), Reserved(2, "o-1", 1), Committed(3, "o-1", 1), Committed(4, "o-1", 1)});
  EXPECT_TRUE(Mentions(twice, "order o-1 committed 1 units without an open reservation")) << twice.Summary();
  const auto another_order = Checked({Set(1, 3), Reserved(2, "o-1", 1), Released(3, "o-2", 1)});
  EXPECT_TRUE(Mentions(another_order, "order o-2 released 1 units without an open reservation"))
      << another_order.Summary();
}

TEST(StockInvariants, AReleaseOfAnotherQuantityThanHeldIsReportedAndTheLedgerKeepsTheSumOfOpenReservations) {
  StockFold fold;
  const auto report = Checked({Set(1, 10), Reserved(2, "o-1", 4), Reserved(3, "o-2", 1), Released(4, "o-1", 3)}, &fold);
  EXPECT_TRUE(Mentions(report, "order o-1 released 3 units of a reservation of 4")) << report.Summary();
  EXPECT_EQ(fold.products.at(kProduct).reserved, 1);
  EXPECT_TRUE(fold.products.at(kProduct).open.count("o-2"));
}

TEST(StockInvariants, ACommitTakesItsUnitsOutOfOnHand) {
  // 5 on hand, 5 reserved and delivered: 0 left, so the next reservation cannot fit.
  const auto report = Checked({Set(1, 5), Reserved(2, "o-1", 5), Committed(3, "o-1", 5), Reserved(4, "o-2", 1)});
  EXPECT_TRUE(Mentions(report, "order o-2 reserved 1 when only 0 were available (onHand 0, reserved 0)"))
      << report.Summary();
}

TEST(StockInvariants, ProductsInterleavedInTheLogAreFoldedApart) {
  StockFold fold;
  const auto report = Checked({Set(1, 2, "a"), Set(1, 7, "b"), Reserved(2, "o-1", 2, "a"), Reserved(2, "o-1", 7, "b"),
                               Refused(3, "o-2", 1, 0, "a")},
                              &fold);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(fold.products.at("b").reserved, 7);
  EXPECT_EQ(fold.refused.at("o-2"), std::set<std::string>{"a"});
}

}  // namespace
}  // namespace orders::invariants

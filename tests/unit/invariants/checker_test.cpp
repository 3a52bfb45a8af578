#include <gtest/gtest.h>

#include <orders/invariants/checker.hpp>
#include <orders/testing/builders.hpp>

namespace orders::invariants {
namespace {

using domain::Status;
using nlohmann::json;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

std::vector<LogRecord> Log(const std::vector<domain::Event>& events) {
  std::vector<LogRecord> log;
  for (const auto& event : events) log.push_back({0, static_cast<std::int64_t>(log.size()), event, {}});
  return log;
}

const std::vector<domain::Event> kGoodLog = {Placed(), Changed(2, Status::kPending, Status::kConfirmed),
                                             Changed(3, Status::kConfirmed, Status::kShipped)};

bool Mentions(const Report& report, const std::string& text) {
  for (const auto& violation : report.violations) {
    if (violation.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(InvariantChecker, AGoodLogHolds) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(fold.orders.at(kOrderId).version, 3);
  EXPECT_EQ(fold.statuses.at(kOrderId).at(2), "confirmed");
}

TEST(InvariantChecker, GapDuplicateForbiddenTransitionAndUndecodableAreReported) {
  Report report;
  auto log = Log({Placed(), Changed(3, Status::kConfirmed, Status::kShipped)});
  CheckLog(log, report);
  EXPECT_TRUE(Mentions(report, "gap")) << report.Summary();

  Report duplicate;
  CheckLog(Log({Placed(), Changed(2, Status::kPending, Status::kConfirmed),
                Changed(2, Status::kPending, Status::kConfirmed)}),
           duplicate);
  EXPECT_TRUE(Mentions(duplicate, "duplicate")) << duplicate.Summary();

  Report forbidden;
  CheckLog(
      Log({Placed(), Changed(2, Status::kPending, Status::kShipped), Changed(3, Status::kShipped, Status::kCancelled)}),
      forbidden);
  EXPECT_TRUE(Mentions(forbidden, "not allowed")) << forbidden.Summary();

  Report undecodable;
  CheckLog({{1, 7, std::nullopt, "bad json"}}, undecodable);
  EXPECT_TRUE(Mentions(undecodable, "undecodable")) << undecodable.Summary();
}

TEST(InvariantChecker, AcknowledgedCommandMissingFromTheLogOrWithAnotherStatusIsReported) {
  Report report;
  const auto log = Log(kGoodLog);
  const auto fold = CheckLog(log, report);
  CheckAcknowledged(fold, log, {{kOrderId, 1, "pending"}, {kOrderId, 3, "shipped"}}, report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  CheckAcknowledged(fold, log, {{kOrderId, 4, "delivered"}}, report);
  EXPECT_TRUE(Mentions(report, "not in the log")) << report.Summary();
  Report wrong;
  CheckAcknowledged(fold, log, {{kOrderId, 2, "cancelled"}}, wrong);
  EXPECT_TRUE(Mentions(wrong, "answered status cancelled")) << wrong.Summary();
}

TEST(InvariantChecker, ReadModelMustEqualTheFold) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  std::map<std::string, ReadModelOrder> model = {{kOrderId, {fold.orders.at(kOrderId), fold.statuses.at(kOrderId)}}};
  CheckReadModel(fold, model, report);
  EXPECT_TRUE(report.ok()) << report.Summary();

  auto behind = model;
  behind[kOrderId].order.version = 2;
  Report stale;
  CheckReadModel(fold, behind, stale);
  EXPECT_TRUE(Mentions(stale, "differs")) << stale.Summary();

  auto missing_history = model;
  missing_history[kOrderId].history.erase(3);
  Report history;
  CheckReadModel(fold, missing_history, history);
  EXPECT_TRUE(Mentions(history, "history")) << history.Summary();

  Report absent;
  CheckReadModel(fold, {}, absent);
  EXPECT_TRUE(Mentions(absent, "not in the read model")) << absent.Summary();
}

json Update(std::int64_t version, const std::string& status) {
  return {{"type", "update"}, {"orderId", kOrderId}, {"version", version}, {"status", status}};
}
json Snapshot(std::int64_t version, const std::string& status, bool recovered = true) {
  json message{{"type", "snapshot"}, {"order", {{"orderId", kOrderId}, {"version", version}, {"status", status}}}};
  if (!recovered) message["recovered"] = false;
  return message;
}

TEST(InvariantChecker, SubscriberThatSawEveryVersionOnceInOrderHolds) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  CheckSubscriber(fold,
                  {"s",
                   {Snapshot(1, "pending"), Update(2, "confirmed"), json{{"type", "_closed"}, {"code", 1001}},
                    Update(3, "shipped")},
                   {kOrderId},
                   true},
                  report);
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(InvariantChecker, SubscriberGapDuplicateWrongStatusAndMissingTailAreReported) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  Report gap;
  CheckSubscriber(fold, {"s", {Snapshot(1, "pending"), Update(3, "shipped")}, {kOrderId}, true}, gap);
  EXPECT_TRUE(Mentions(gap, "gap")) << gap.Summary();
  Report duplicate;
  CheckSubscriber(fold,
                  {"s", {Snapshot(2, "confirmed"), Update(2, "confirmed"), Update(3, "shipped")}, {kOrderId}, true},
                  duplicate);
  EXPECT_TRUE(Mentions(duplicate, "seen again")) << duplicate.Summary();
  Report status;
  CheckSubscriber(fold, {"s", {Snapshot(1, "pending"), Update(2, "cancelled"), Update(3, "shipped")}, {kOrderId}, true},
                  status);
  EXPECT_TRUE(Mentions(status, "not the log's")) << status.Summary();
  Report tail;
  CheckSubscriber(fold, {"s", {Snapshot(1, "pending"), Update(2, "confirmed")}, {kOrderId}, true}, tail);
  EXPECT_TRUE(Mentions(tail, "ended order")) << tail.Summary();
}

TEST(InvariantChecker, ResyncToldByTheNotifierRestartsTheCount) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  CheckSubscriber(fold, {"s", {Snapshot(1, "pending"), Snapshot(3, "shipped", /*recovered=*/false)}, {kOrderId}, true},
                  report);
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(InvariantChecker, SelectorReconnectContinuesOnlyTheOrdersItsSnapshotListHolds) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  const json listed = {{"type", "snapshot"},
                       {"orders", json::array({{{"orderId", kOrderId}, {"version", 2}, {"status", "confirmed"}}})}};
  const json empty_list = {{"type", "snapshot"}, {"orders", json::array()}};
  CheckSubscriber(
      fold,
      {"s", {Snapshot(1, "pending"), json{{"type", "_reconnected"}}, listed, Update(3, "shipped")}, {kOrderId}, true},
      report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  Report unlisted;
  CheckSubscriber(fold, {"s", {Snapshot(1, "pending"), json{{"type", "_reconnected"}}, empty_list}, {kOrderId}, true},
                  unlisted);
  EXPECT_TRUE(unlisted.ok()) << unlisted.Summary();
  EXPECT_EQ(unlisted.counts["orders_not_continued_after_reconnect"], 1);
}

}  // namespace
}  // namespace orders::invariants

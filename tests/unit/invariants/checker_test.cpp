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

// Version 2 three times: evt-a, evt-a again (a resend), then another event, evt-b (a second writer).
std::vector<LogRecord> ResentThenConflictingLog() {
  auto log = Log({Placed(), Changed(2, Status::kPending, Status::kConfirmed),
                  Changed(2, Status::kPending, Status::kConfirmed), Changed(2, Status::kPending, Status::kCancelled)});
  log[1].event_id = "evt-a";
  log[2].event_id = "evt-a";
  log[3].event_id = "evt-b";
  return log;
}

TEST(InvariantChecker, ADuplicateVersionSaysWhetherItIsTheSameEventResentOrAnotherEvent) {
  const auto log = ResentThenConflictingLog();
  Report report;
  CheckLog(log, report);
  ASSERT_EQ(report.violations.size(), 2u) << report.Summary();
  EXPECT_NE(report.violations[0].find("the same event evt-a again"), std::string::npos) << report.violations[0];
  EXPECT_NE(report.violations[1].find("another event (evt-b) than the first at this version (evt-a)"),
            std::string::npos)
      << report.violations[1];
}

TEST(InvariantChecker, AnAcknowledgedEventInTheLogTwiceAsItselfIsAViolation) {
  auto resent = Log(
      {Placed(), Changed(2, Status::kPending, Status::kConfirmed), Changed(2, Status::kPending, Status::kConfirmed)});
  resent[1].event_id = resent[2].event_id = "evt-a";
  Report report;
  const std::vector<Acknowledged> acks = {{kOrderId, 2, "confirmed"}};
  CheckAcknowledged(CheckLog(resent, report), resent, acks, report);
  ASSERT_EQ(report.violations.size(), 2u) << report.Summary();
  EXPECT_NE(report.violations[0].find("the same event evt-a again"), std::string::npos) << report.violations[0];
  EXPECT_NE(report.violations[1].find("is in the log 2 times"), std::string::npos) << report.violations[1];
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

// A subscriber named "s" following `followed` that stayed until the end.
SubscriberLog Sub(std::vector<json> messages, std::set<std::string> followed = {kOrderId}) {
  SubscriberLog log;
  log.name = "s";
  log.messages = std::move(messages);
  log.followed = std::move(followed);
  return log;
}

TEST(InvariantChecker, SubscriberThatSawEveryVersionOnceInOrderHolds) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  CheckSubscriber(fold,
                  Sub({Snapshot(1, "pending"), Update(2, "confirmed"), json{{"type", "_closed"}, {"code", 1001}},
                       Update(3, "shipped")}),
                  report);
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(InvariantChecker, SubscriberGapDuplicateWrongStatusAndMissingTailAreReported) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  Report gap;
  CheckSubscriber(fold, Sub({Snapshot(1, "pending"), Update(3, "shipped")}), gap);
  EXPECT_TRUE(Mentions(gap, "gap")) << gap.Summary();
  Report duplicate;
  CheckSubscriber(fold, Sub({Snapshot(2, "confirmed"), Update(2, "confirmed"), Update(3, "shipped")}), duplicate);
  EXPECT_TRUE(Mentions(duplicate, "seen again")) << duplicate.Summary();
  Report status;
  CheckSubscriber(fold, Sub({Snapshot(1, "pending"), Update(2, "cancelled"), Update(3, "shipped")}), status);
  EXPECT_TRUE(Mentions(status, "not the log's")) << status.Summary();
  Report tail;
  CheckSubscriber(fold, Sub({Snapshot(1, "pending"), Update(2, "confirmed")}), tail);
  EXPECT_TRUE(Mentions(tail, "ended order")) << tail.Summary();
}

const std::vector<domain::Event> kLongerLog = {Placed(), Changed(2, Status::kPending, Status::kConfirmed),
                                               Changed(3, Status::kConfirmed, Status::kProcessing),
                                               Changed(4, Status::kProcessing, Status::kShipped)};

TEST(InvariantChecker, ResyncToldByTheNotifierRestartsTheCountAndIsCounted) {
  Report report;
  const auto fold = CheckLog(Log(kLongerLog), report);
  const std::vector<json> messages = {Snapshot(1, "pending"), Update(2, "confirmed"),
                                      Snapshot(4, "shipped", /*recovered=*/false)};
  CheckSubscriber(fold, Sub(messages), report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts["resync_snapshots_of_s"], 1);

  // Where a resume must really resume, the same recording is a violation.
  Report strict;
  SubscriberLog must_resume = Sub(messages);
  must_resume.allow_resync = false;
  CheckSubscriber(fold, must_resume, strict);
  EXPECT_TRUE(Mentions(strict, "told to resync")) << strict.Summary();
}

TEST(InvariantChecker, ASnapshotThatJumpsForwardOrGoesBackIsAGap) {
  Report report;
  const auto fold = CheckLog(Log(kLongerLog), report);
  Report forward;
  CheckSubscriber(fold, Sub({Snapshot(1, "pending"), Snapshot(3, "processing"), Update(4, "shipped")}), forward);
  EXPECT_TRUE(Mentions(forward, "jumped forward")) << forward.Summary();
  Report back;
  CheckSubscriber(fold,
                  Sub({Snapshot(2, "confirmed"), Update(3, "processing"), Snapshot(2, "confirmed"),
                       Update(3, "processing"), Update(4, "shipped")}),
                  back);
  EXPECT_TRUE(Mentions(back, "went back")) << back.Summary();
  Report update_first;
  CheckSubscriber(fold, Sub({Update(3, "processing"), Update(4, "shipped")}), update_first);
  EXPECT_TRUE(Mentions(update_first, "before any snapshot")) << update_first.Summary();
}

TEST(InvariantChecker, ASubscriberCannotPassOnNothing) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  Report silent;
  CheckSubscriber(fold, Sub({Snapshot(3, "shipped")}), silent);
  EXPECT_TRUE(Mentions(silent, "no update")) << silent.Summary();
  Report nothing_followed;
  CheckSubscriber(fold, Sub({}, {}), nothing_followed);
  EXPECT_TRUE(Mentions(nothing_followed, "no order at all")) << nothing_followed.Summary();
  Report nothing_received;
  CheckSubscriber(fold, Sub({}), nothing_received);
  EXPECT_TRUE(Mentions(nothing_received, "ended order")) << nothing_received.Summary();
}

TEST(InvariantChecker, ACustomerSubscriberMustFollowEveryOrderOfItsCustomerInTheLog) {
  const std::string other = "0b9f6a3e-1c2d-4e5f-8a7b-6c5d4e3f2a1b";
  Report report;
  const auto fold =
      CheckLog(Log({Placed(), Placed(other), Changed(2, Status::kPending, Status::kConfirmed, other)}), report);
  ASSERT_TRUE(report.ok()) << report.Summary();
  const json list = {{"type", "snapshot"},
                     {"orders", json::array({{{"orderId", kOrderId}, {"version", 1}, {"status", "pending"}}})}};
  SubscriberLog customer = Sub({list, Update(2, "confirmed")}, {});
  customer.customer_id = "customer-1";
  customer.messages.back()["orderId"] = other;  // an update of the other order, never placed for it
  Report missed;
  CheckSubscriber(fold, customer, missed);
  EXPECT_EQ(ExpectedOrders(fold, customer), (std::set<std::string>{kOrderId, other}));
  EXPECT_TRUE(Mentions(missed, "before any snapshot")) << missed.Summary();

  json placed_other = Update(1, "pending");
  placed_other["orderId"] = other;
  customer.messages = {list, placed_other};
  Report tail;
  CheckSubscriber(fold, customer, tail);
  EXPECT_TRUE(Mentions(tail, "ended order " + other + " at version 1")) << tail.Summary();

  customer.messages.push_back(Update(2, "confirmed"));
  customer.messages.back()["orderId"] = other;
  Report complete;
  CheckSubscriber(fold, customer, complete);
  EXPECT_TRUE(complete.ok()) << complete.Summary();
}

TEST(InvariantChecker, TheSameVersionAcknowledgedTwiceIsReported) {
  Report report;
  const auto log = Log(kGoodLog);
  const auto fold = CheckLog(log, report);
  CheckAcknowledged(fold, log, {{kOrderId, 2, "confirmed"}, {kOrderId, 2, "confirmed"}}, report);
  EXPECT_TRUE(Mentions(report, "acknowledged twice")) << report.Summary();
}

TEST(InvariantChecker, SelectorReconnectContinuesOnlyTheOrdersItsSnapshotListHolds) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  const json listed = {{"type", "snapshot"},
                       {"orders", json::array({{{"orderId", kOrderId}, {"version", 2}, {"status", "confirmed"}}})}};
  const json empty_list = {{"type", "snapshot"}, {"orders", json::array()}};
  CheckSubscriber(fold, Sub({Snapshot(1, "pending"), json{{"type", "_reconnected"}}, listed, Update(3, "shipped")}),
                  report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  // A customer subscriber: the order is not followed by id, so an unlisted one is not continued.
  Report unlisted;
  SubscriberLog customer =
      Sub({Snapshot(1, "pending"), Update(2, "confirmed"), json{{"type", "_reconnected"}}, empty_list}, {});
  customer.customer_id = "customer-1";
  CheckSubscriber(fold, customer, unlisted);
  EXPECT_TRUE(unlisted.ok()) << unlisted.Summary();
  EXPECT_EQ(unlisted.counts["orders_not_continued_after_reconnect"], 1);
}

TEST(InvariantChecker, AFreshListInPagesCountsAsOneList) {
  Report report;
  const auto fold = CheckLog(Log(kGoodLog), report);
  const json first_page = {{"type", "snapshot"}, {"page", 0}, {"last", false}, {"orders", json::array()}};
  const json second_page = {{"type", "snapshot"},
                            {"page", 1},
                            {"last", true},
                            {"orders", json::array({{{"orderId", kOrderId}, {"version", 3}, {"status", "shipped"}}})}};
  CheckSubscriber(
      fold,
      Sub({Snapshot(1, "pending"), Update(2, "confirmed"), json{{"type", "_reconnected"}}, first_page, second_page}),
      report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts["orders_not_continued_after_reconnect"], 0) << "the order is listed on the second page";
}

// A client that follows an order by id and also holds selectors (a customer, `all`) resubscribes
// the order with sinceVersion first after a reconnect, then its selectors: the selectors' fresh
// lists must not excuse a gap in the order it resumed.
json List(std::vector<json> orders) { return {{"type", "snapshot"}, {"last", true}, {"orders", std::move(orders)}}; }

TEST(InvariantChecker, AnOrderResumedByIdStaysContinuedThroughASelectorsFreshList) {
  Report report;
  const auto fold = CheckLog(Log(kLongerLog), report);
  const json reconnected = {{"type", "_reconnected"}};
  const json at3 = {{"orderId", kOrderId}, {"version", 3}, {"status", "processing"}};

  // The replay brings version 3, the customer's list is empty, `all` lists the order at 3, then 4 live.
  Report resumed;
  CheckSubscriber(fold,
                  Sub({Snapshot(1, "pending"), Update(2, "confirmed"), reconnected, Update(3, "processing"), List({}),
                       List({at3}), Update(4, "shipped")}),
                  resumed);
  EXPECT_TRUE(resumed.ok()) << resumed.Summary();
  EXPECT_EQ(resumed.counts["orders_not_continued_after_reconnect"], 0);

  // Version 3 never came: the empty list after the reconnect must not hide the gap.
  Report gap;
  CheckSubscriber(
      fold, Sub({Snapshot(1, "pending"), Update(2, "confirmed"), reconnected, List({}), Update(4, "shipped")}), gap);
  EXPECT_TRUE(Mentions(gap, "gap (after 2)")) << gap.Summary();

  // Nor may a fresh list move it forward past what the replay delivered.
  Report jumped;
  CheckSubscriber(fold, Sub({Snapshot(1, "pending"), reconnected, List({at3}), Update(4, "shipped")}), jumped);
  EXPECT_TRUE(Mentions(jumped, "jumped forward from version 1")) << jumped.Summary();
}

}  // namespace
}  // namespace orders::invariants

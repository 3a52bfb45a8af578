#include <gtest/gtest.h>

#include <orders/invariants/webhook_rules.hpp>

namespace orders::invariants {
namespace {

using nlohmann::json;

// Order "o-1" with three events appended at 1000, 2000, 3000 ms, and an inventory event at 2500.
std::vector<WebhookLogEvent> Log() {
  return {{"e1", "order.placed.v1", "o-1", 1, 1000},
          {"e2", "order.status_changed.v1", "o-1", 2, 2000},
          {"inv", "inventory.stock_set.v1", "sku-1", 1, 2500},
          {"e3", "order.status_changed.v1", "o-1", 3, 3000}};
}

json Posted(const std::string& id, const std::string& type, const std::string& subject = "o-1") {
  const json body = {
      {"specversion", "1.0"}, {"id", id}, {"type", type}, {"subject", subject}, {"data", json::object()}};
  return {{"headers", {{"webhook-id", id}}}, {"body", body.dump()}};
}

WebhookEndpointRun Endpoint(std::vector<json> received, std::int64_t registered_ms = 0) {
  WebhookEndpointRun run;
  run.name = "ep";
  run.filters = {"order.*"};
  run.registered_ms = registered_ms;
  run.received = std::move(received);
  return run;
}

bool Mentions(const Report& report, const std::string& text) {
  for (const auto& violation : report.violations) {
    if (violation.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(WebhookInvariants, EveryMatchingEventDeliveredOnceInOrderHolds) {
  Report report;
  CheckWebhookDeliveries(Log(),
                         Endpoint({Posted("e1", "order.placed.v1"), Posted("e2", "order.status_changed.v1"),
                                   Posted("e3", "order.status_changed.v1")}),
                         report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts["webhook_events_expected"], 3);
  EXPECT_EQ(report.counts["webhook_events_delivered"], 3);
}

TEST(WebhookInvariants, AMissingEventIsAViolationUnlessListedAsFailed) {
  const auto received = std::vector<json>{Posted("e1", "order.placed.v1"), Posted("e3", "order.status_changed.v1")};
  Report missing;
  CheckWebhookDeliveries(Log(), Endpoint(received), missing);
  EXPECT_TRUE(Mentions(missing, "event e2 (order.status_changed.v1 of order o-1 v2) neither delivered nor listed"))
      << missing.Summary();

  auto listed = Endpoint(received);
  listed.listed_failed = {"e2"};
  Report failed;
  CheckWebhookDeliveries(Log(), listed, failed);
  EXPECT_TRUE(failed.ok()) << failed.Summary();
  EXPECT_EQ(failed.counts["webhook_events_listed_failed"], 1);
}

TEST(WebhookInvariants, EventsAppendedBeforeTheRegistrationAreNotOwedButMayNotBeSentUnasked) {
  Report report;
  CheckWebhookDeliveries(Log(), Endpoint({Posted("e3", "order.status_changed.v1")}, 2500), report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts["webhook_events_expected"], 1);

  Report unasked;
  CheckWebhookDeliveries(Log(),
                         Endpoint({Posted("inv", "inventory.stock_set.v1", "sku-1"), Posted("e1", "order.placed.v1"),
                                   Posted("e2", "order.status_changed.v1"), Posted("e3", "order.status_changed.v1")}),
                         unasked);
  EXPECT_TRUE(Mentions(unasked, "event inv (inventory.stock_set.v1) delivered though the endpoint did not ask"))
      << unasked.Summary();
}

TEST(WebhookInvariants, ARepeatWithTheSameIdAndBodyIsAllowedButADifferentBodyOrUnknownIdIsNot) {
  Report repeat;
  CheckWebhookDeliveries(Log(),
                         Endpoint({Posted("e1", "order.placed.v1"), Posted("e1", "order.placed.v1"),
                                   Posted("e2", "order.status_changed.v1"), Posted("e3", "order.status_changed.v1")}),
                         repeat);
  EXPECT_TRUE(repeat.ok()) << repeat.Summary();
  EXPECT_EQ(repeat.counts["webhook_repeats_same_id"], 1);

  auto changed = Posted("e1", "order.placed.v1");
  auto changed_body = json::parse(changed["body"].get<std::string>());
  changed_body["time"] = "2026-12-05T00:00:00Z";
  changed["body"] = changed_body.dump();
  Report different;
  CheckWebhookDeliveries(Log(),
                         Endpoint({Posted("e1", "order.placed.v1"), changed, Posted("e2", "order.status_changed.v1"),
                                   Posted("e3", "order.status_changed.v1")}),
                         different);
  EXPECT_TRUE(Mentions(different, "event e1 posted twice with different bodies")) << different.Summary();

  // The same event under another id: the id is no event of the log.
  auto renamed = Posted("e2", "order.status_changed.v1");
  renamed["headers"]["webhook-id"] = "e2-again";
  Report unknown;
  CheckWebhookDeliveries(Log(),
                         Endpoint({Posted("e1", "order.placed.v1"), Posted("e2", "order.status_changed.v1"), renamed,
                                   Posted("e3", "order.status_changed.v1")}),
                         unknown);
  EXPECT_TRUE(Mentions(unknown, "webhook-id 'e2-again' that is no event of the log")) << unknown.Summary();
}

TEST(WebhookInvariants, ABodyThatIsNotTheEventIsAViolation) {
  auto wrong = Posted("e2", "order.status_changed.v1", "o-2");
  Report report;
  CheckWebhookDeliveries(
      Log(), Endpoint({Posted("e1", "order.placed.v1"), wrong, Posted("e3", "order.status_changed.v1")}), report);
  EXPECT_TRUE(Mentions(report, "the body posted as e2 is not that event's CloudEvent")) << report.Summary();
}

TEST(WebhookInvariants, FirstArrivalsOutOfLogOrderAreAViolationButALateRepeatIsNot) {
  Report reordered;
  CheckWebhookDeliveries(Log(),
                         Endpoint({Posted("e1", "order.placed.v1"), Posted("e3", "order.status_changed.v1"),
                                   Posted("e2", "order.status_changed.v1")}),
                         reordered);
  EXPECT_TRUE(Mentions(reordered, "order o-1: version 2 arrived first after version 3")) << reordered.Summary();

  Report late_repeat;
  CheckWebhookDeliveries(Log(),
                         Endpoint({Posted("e1", "order.placed.v1"), Posted("e2", "order.status_changed.v1"),
                                   Posted("e3", "order.status_changed.v1"), Posted("e1", "order.placed.v1")}),
                         late_repeat);
  EXPECT_TRUE(late_repeat.ok()) << late_repeat.Summary();
}

TEST(WebhookInvariants, AReplayedEventMayArriveAfterItsOrdersLaterEvents) {
  auto replayed = Endpoint({Posted("e1", "order.placed.v1"), Posted("e3", "order.status_changed.v1"),
                            Posted("e2", "order.status_changed.v1")});
  replayed.replayed = {"e2"};
  Report report;
  CheckWebhookDeliveries(Log(), replayed, report);
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(WebhookInvariants, NothingExpectedOrNothingReceivedCannotPass) {
  Report nothing_owed;
  CheckWebhookDeliveries(Log(), Endpoint({}, 10'000), nothing_owed);
  EXPECT_TRUE(Mentions(nothing_owed, "no event of the log was for it")) << nothing_owed.Summary();

  auto all_failed = Endpoint({});
  all_failed.listed_failed = {"e1", "e2", "e3"};
  Report nothing_received;
  CheckWebhookDeliveries(Log(), all_failed, nothing_received);
  EXPECT_TRUE(Mentions(nothing_received, "received nothing")) << nothing_received.Summary();
}

TEST(WebhookInvariants, FiltersSelectByUnversionedNameOrFamily) {
  EXPECT_TRUE(WebhookFilterMatches("order.*", "order.placed.v1"));
  EXPECT_FALSE(WebhookFilterMatches("order.*", "inventory.stock_set.v1"));
  EXPECT_TRUE(WebhookFilterMatches("*", "inventory.stock_set.v1"));
  EXPECT_TRUE(WebhookFilterMatches("order.status_changed", "order.status_changed.v1"));
  EXPECT_FALSE(WebhookFilterMatches("order.status_changed", "order.placed.v1"));
}

}  // namespace
}  // namespace orders::invariants

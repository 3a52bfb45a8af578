// Webhook dispatch under faults (issue 16), each under a steady order load and
// each ending with the webhook invariants and the signatures verified:
//   a notifier SIGKILLed with deliveries queued, then restarted;
//   a third notifier joining two in the same group mid-run (a rebalance);
//   a receiver down for longer than the retry schedule, then replayed;
//   an endpoint parked while a notifier stalls past the session timeout and its partitions, parks
//   among them, change hands twice, the instance that took them over then killed.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/tcp_proxy.hpp>
#include <orders/testing/tokens.hpp>

#include "order_flow.hpp"
#include "webhook_fault_fixture.hpp"

namespace orders::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::size_t Arrived(const WebhookReceiver& receiver) {
  std::set<std::string> ids;
  for (const auto& request : receiver.Received()) ids.insert(request["headers"].value("webhook-id", ""));
  return ids.size();
}

TEST_F(WebhooksUnderFaults, NotifierKilledMidDeliveryAndRestartedLosesNothingAndRepeatsOnlyWithTheSameId) {
  notifier_env_["WEBHOOK_RETRY_SCHEDULE"] = "200ms,500ms,1s";
  const auto notifier = StartNotifier();
  // A receiver that takes 30 ms per delivery (a second around the kill).
  WebhookReceiver receiver({"--mode", "slow", "--delay-ms", "30"});
  ASSERT_NE(receiver.port(), 0);
  const auto endpoint = Register(receiver.Url("/hook"));
  ASSERT_FALSE(endpoint.id.empty());
  WaitForEveryNotifierToKnowTheEndpoints();

  OrderFlow flow(command_->port(), 12);
  flow.Start();
  ASSERT_TRUE(Eventually([&] { return Arrived(receiver) >= 40; }, 20s)) << Notifier(notifier).LogText();
  // Mid-delivery: the receiver slows to a second per POST, so the load's events pile up in the
  // notifier's memory (queued, not yet posted), and the kill lands on them.
  receiver.SetMode({{"mode", "slow"}, {"delay_ms", 1000}});
  std::size_t owed_at_kill = 0, arrived_at_kill = 0;
  ASSERT_TRUE(Eventually(
      [&] {
        owed_at_kill = EventsOwed(endpoint);
        arrived_at_kill = Arrived(receiver);
        return owed_at_kill >= arrived_at_kill + 10;
      },
      10s, 100ms));
  KillNotifier(notifier);
  receiver.SetMode({{"mode", "slow"}, {"delay_ms", 30}});
  std::printf("at the kill: %zu owed, %zu arrived or in flight\n", owed_at_kill, arrived_at_kill);

  std::this_thread::sleep_for(2s);  // the load goes on while no notifier runs
  RestartNotifier(notifier);
  const auto arrived_at_restart = Arrived(receiver);
  ASSERT_TRUE(Eventually([&] { return Arrived(receiver) >= arrived_at_restart + 40; }, 20s))
      << "deliveries resume after the restart\n"
      << Notifier(notifier).LogText();
  flow.Stop();
  EXPECT_TRUE(flow.Surprises().empty()) << flow.Surprises().front();
  Mark("load stopped: " + std::to_string(flow.orders_done()) + " orders");

  ASSERT_TRUE(WaitUntilSettled(endpoint, receiver, false, 30s)) << Notifier(notifier).LogText();
  Mark("every owed event arrived");
  const auto report = ExpectWebhookInvariants(endpoint, receiver);
  EXPECT_EQ(report.counts.at("webhook_events_listed_failed"), 0) << "a healthy receiver: nothing may fail";
  EXPECT_GT(report.counts.at("webhook_events_delivered"), owed_at_kill) << "events delivered after the restart";
}

TEST_F(WebhooksUnderFaults, ANotifierJoiningTwoMidRunTakesPartitionsAndEachEventIsDeliveredByOneInstance) {
  notifier_env_["WEBHOOK_RETRY_SCHEDULE"] = "200ms,500ms,1s";
  const auto first = StartNotifier();
  const auto second = StartNotifier();
  WebhookReceiver receiver({"--mode", "healthy"});
  ASSERT_NE(receiver.port(), 0);
  const auto endpoint = Register(receiver.Url("/hook"));
  ASSERT_FALSE(endpoint.id.empty());
  WaitForEveryNotifierToKnowTheEndpoints();

  OrderFlow flow(command_->port(), 12);
  flow.Start();
  // Both instances own partitions of the six: both deliver.
  ASSERT_TRUE(Eventually(
      [&] {
        return EndpointCounter(first, "successes", endpoint.id) > 0 &&
               EndpointCounter(second, "successes", endpoint.id) > 0;
      },
      20s, 200ms))
      << Notifier(first).LogText() << Notifier(second).LogText();
  Mark("both instances deliver");

  const auto third = StartNotifier();  // joins the group mid-run: the partitions are dealt again
  ASSERT_TRUE(Eventually([&] { return EndpointCounter(third, "successes", endpoint.id) > 0; }, 25s, 200ms))
      << "the third instance takes partitions and delivers\n"
      << Notifier(third).LogText();
  Mark("the third instance delivers");
  std::this_thread::sleep_for(2s);
  flow.Stop();
  EXPECT_TRUE(flow.Surprises().empty()) << flow.Surprises().front();
  Mark("load stopped: " + std::to_string(flow.orders_done()) + " orders");

  ASSERT_TRUE(WaitUntilSettled(endpoint, receiver, false, 30s));
  Mark("every owed event arrived");
  const auto report = ExpectWebhookInvariants(endpoint, receiver);
  EXPECT_EQ(report.counts.at("webhook_events_listed_failed"), 0);

  // Each event by one instance: the posts the receiver got are the instances' successes together, and
  // repeats (only around the rebalance, with the same webhook-id) are few, not one per instance.
  double successes = 0;
  for (auto index : {first, second, third}) successes += EndpointCounter(index, "successes", endpoint.id);
  const auto posts = receiver.Received().size();
  EXPECT_EQ(static_cast<std::size_t>(successes), posts);
  const auto delivered = report.counts.at("webhook_events_delivered");
  const auto repeats = report.counts.at("webhook_repeats_same_id");
  std::printf("%lld events delivered, %lld repeats, %zu posts\n", static_cast<long long>(delivered),
              static_cast<long long>(repeats), posts);
  EXPECT_LE(repeats * 10, delivered) << "more than a tenth of the events delivered twice";
}

TEST_F(WebhooksUnderFaults, AReceiverDownLongerThanTheScheduleGetsItsEventsListedAsFailedAndReplayDeliversThem) {
  // Two retries within a few milliseconds: the receiver is away far longer than that. While an endpoint
  // fails, the notifier probes it one delivery at a time (the others wait in the ledger), each through
  // the whole schedule, so a few deliveries end as failed during the outage and the rest go once it is back.
  notifier_env_["WEBHOOK_RETRY_SCHEDULE"] = "10ms,20ms";
  const auto notifier = StartNotifier();
  WebhookReceiver receiver({"--mode", "healthy"});
  ASSERT_NE(receiver.port(), 0);
  TcpProxy proxy(receiver.port());  // the receiver's network: cut to take it away
  const auto endpoint = Register("http://127.0.0.1:" + std::to_string(proxy.port()) + "/hook");
  ASSERT_FALSE(endpoint.id.empty());
  WaitForEveryNotifierToKnowTheEndpoints();

  OrderFlow flow(command_->port(), 8);
  flow.Start();
  ASSERT_TRUE(Eventually([&] { return Arrived(receiver) >= 20; }, 20s)) << Notifier(notifier).LogText();
  proxy.Cut();
  Mark("receiver cut off after " + std::to_string(Arrived(receiver)) + " deliveries");
  ASSERT_TRUE(Eventually([&] { return FailedDeliveries(endpoint.id).size() >= 3; }, 25s, 250ms))
      << "deliveries to a receiver that is down end as failed once their retries are spent\n"
      << Notifier(notifier).LogText();
  const auto arrived_during_cut = Arrived(receiver);
  Mark(std::to_string(FailedDeliveries(endpoint.id).size()) + " deliveries listed as failed; receiver back");
  proxy.Restore();
  ASSERT_TRUE(Eventually([&] { return Arrived(receiver) >= arrived_during_cut + 20; }, 20s))
      << "deliveries resume once the receiver is back\n"
      << Notifier(notifier).LogText();
  flow.Stop();
  EXPECT_TRUE(flow.Surprises().empty()) << flow.Surprises().front();
  Mark("load stopped: " + std::to_string(flow.orders_done()) + " orders");

  // Every event arrived, or is listed as failed; the endpoint is not disabled (WEBHOOK_DISABLE_AFTER: 5 days).
  ASSERT_TRUE(WaitUntilSettled(endpoint, receiver, true, 30s)) << Notifier(notifier).LogText();
  const auto failed = FailedDeliveries(endpoint.id);
  for (const auto& id : failed) {
    EXPECT_EQ(receiver.CountOf(id), 0) << id << " is listed as failed, yet arrived";
  }
  const auto state = HttpRequest(Notifier(notifier).port(), "GET", "/webhooks/" + endpoint.id, {}, WithToken());
  ASSERT_EQ(state.status, 200) << state.body;
  EXPECT_FALSE(json::parse(state.body)["disabled"].get<bool>()) << state.body;

  const auto replay =
      HttpRequest(Notifier(notifier).port(), "POST", "/webhooks/" + endpoint.id + "/replay",
                  json{{"from", endpoint.created_at}}.dump(), WithToken({{"Content-Type", "application/json"}}));
  ASSERT_EQ(replay.status, 202) << replay.body;
  EXPECT_EQ(json::parse(replay.body)["replayed"], failed.size()) << replay.body;
  Mark("replay of " + std::to_string(failed.size()) + " asked for");

  ASSERT_TRUE(WaitUntilSettled(endpoint, receiver, false, 30s)) << Notifier(notifier).LogText();
  Mark("every owed event arrived");
  for (const auto& id : failed) EXPECT_GE(receiver.CountOf(id), 1) << id << " replayed, yet never arrived";
  EXPECT_TRUE(FailedDeliveries(endpoint.id).empty());
  // Nothing is listed as failed any more: every event must have arrived, the replayed ones late by design.
  const auto report = ExpectWebhookInvariants(endpoint, receiver, failed);
  EXPECT_EQ(report.counts.at("webhook_events_listed_failed"), 0);
}

// The run that once ended deliveries short: a consumer-group session timeout while an endpoint is
// parked. One notifier stalls (SIGSTOP) past the session timeout: the other takes its partitions and
// the parks on them without the stalled one knowing; thawed, it goes on for a moment with what it had
// (a zombie), then loses everything and is dealt partitions again, some of them its own parks back.
// Then the instance that took the parks over is killed and restarted (the new owner dying after the
// stalled one woke up). The receiver comes back only after that: every event must arrive, none lost,
// repeats only with the same webhook-id, each order's events in log order.
TEST_F(WebhooksUnderFaults, AnEndpointParkedWhileItsPartitionsChangeHandsTwiceGetsEveryEventOnceItIsBack) {
  // Long enough (at least 64 s with equal jitter) that nothing is listed as failed during the outage.
  notifier_env_["WEBHOOK_RETRY_SCHEDULE"] = "200ms,500ms,1s,2s,4s,8s,16s,32s,64s";
  const auto first = StartNotifier();
  const auto second = StartNotifier();
  WebhookReceiver healthy({"--mode", "healthy"});
  WebhookReceiver away({"--mode", "healthy"});
  ASSERT_NE(healthy.port(), 0);
  ASSERT_NE(away.port(), 0);
  TcpProxy proxy(away.port());
  const auto steady = Register(healthy.Url("/hook"));
  const auto parked = Register("http://127.0.0.1:" + std::to_string(proxy.port()) + "/hook");
  ASSERT_FALSE(steady.id.empty());
  ASSERT_FALSE(parked.id.empty());
  WaitForEveryNotifierToKnowTheEndpoints();

  OrderFlow flow(command_->port(), 12);
  flow.Start();
  ASSERT_TRUE(Eventually([&] { return Arrived(away) >= 20; }, 20s)) << Notifier(first).LogText();
  proxy.Cut();
  // The load reaches every partition: the refused endpoint ends up parked on all six, three per instance.
  auto parks = [&](std::size_t notifier) { return Gauge(notifier, "orders_notifier_webhook_parked"); };
  ASSERT_TRUE(Eventually([&] { return parks(first) > 0 && parks(second) > 0 && parks(first) + parks(second) == 6; },
                         30s, 200ms))
      << "the refused endpoint is parked on every partition\n"
      << Notifier(first).LogText();
  Mark("parked on " + std::to_string(parks(first)) + " + " + std::to_string(parks(second)) + " partitions");

  const auto first_successes = EndpointCounter(first, "successes", steady.id);
  FreezeNotifier(first);
  // Past the session timeout (10 s) the group deals every partition to `second`, which loads the parks.
  ASSERT_TRUE(Eventually([&] { return parks(second) == 6; }, 45s, 500ms)) << Notifier(second).LogText();
  Mark("second holds every park");
  ThawNotifier(first);
  // It learns at its next poll that its partitions are gone, rejoins, and the partitions are dealt again.
  std::this_thread::sleep_for(8s);
  ASSERT_TRUE(Eventually([&] { return EndpointCounter(first, "successes", steady.id) > first_successes; }, 30s, 500ms))
      << "the thawed instance delivers again\n"
      << Notifier(first).LogText();
  Mark("first delivers again");
  // The instance that held every park while `first` stalled is killed before the receiver is back,
  // with nothing written since its last save: whatever the thawed instance's old rounds ended or
  // wrote meanwhile, the parks must still be there for the partitions' next owners (their rows are
  // fenced by ownership; the thawed instance's stale drops are counted, printed below).
  KillNotifier(second);
  RestartNotifier(second);
  proxy.Restore();
  Mark("receiver back");
  std::this_thread::sleep_for(3s);
  flow.Stop();
  EXPECT_TRUE(flow.Surprises().empty()) << flow.Surprises().front();
  Mark("load stopped: " + std::to_string(flow.orders_done()) + " orders");

  ASSERT_TRUE(WaitUntilSettled(steady, healthy, false, 30s)) << Notifier(first).LogText();
  ASSERT_TRUE(WaitUntilSettled(parked, away, false, 150s)) << Notifier(first).LogText() << Notifier(second).LogText();
  Mark("every owed event arrived at both receivers");
  std::printf("stale park drops refused: %.0f on the thawed instance, %.0f on the restarted one\n",
              Gauge(first, "orders_notifier_webhook_stale_park_drops_total"),
              Gauge(second, "orders_notifier_webhook_stale_park_drops_total"));
  for (const auto* run : {&steady, &parked}) {
    const auto report = ExpectWebhookInvariants(*run, run == &steady ? healthy : away);
    EXPECT_EQ(report.counts.at("webhook_events_listed_failed"), 0) << run->id;
    std::printf("%s: %lld events delivered, %lld repeats\n", run == &steady ? "steady" : "parked",
                static_cast<long long>(report.counts.at("webhook_events_delivered")),
                static_cast<long long>(report.counts.at("webhook_repeats_same_id")));
  }
}

}  // namespace
}  // namespace orders::testing

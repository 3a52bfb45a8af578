#pragma once
// Webhook dispatch under faults: one command service writing orders (the
// load, order_flow.hpp), notifier processes in one consumer group sharing one
// webhook store (PostgreSQL schema), and webhook receivers in their own
// processes. The broker and the database are the run's (./infra/test.sh starts
// private ones for the fault tier); these scenarios kill and add notifiers and
// take receivers away, never the broker.
//
// A scenario registers endpoints, runs the load, injects its fault, waits
// until every event owed to an endpoint was delivered or listed as failed,
// and ends with ExpectWebhookInvariants: the log against what each receiver
// recorded (tests/invariants/webhook_rules.hpp) and every signature verified
// by the Standard Webhooks reference library.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/invariants/checker.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/webhook_receiver.hpp>

namespace orders::testing {

struct RegisteredEndpoint {
  std::string id;
  std::string secret;
  std::vector<std::string> filters;
  std::string created_at;       // createdAt as the registration answered it (RFC 3339)
  std::int64_t created_ms = 0;  // the same in Unix milliseconds
};

class WebhooksUnderFaults : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts one more notifier in the scenario's group with `notifier_env_` on top; its index.
  std::size_t StartNotifier();
  void KillNotifier(std::size_t index);     // SIGKILL
  void RestartNotifier(std::size_t index);  // after a kill; waits until ready
  // SIGSTOP / SIGCONT: frozen past the group's session timeout, the notifier loses its partitions
  // without being told, and learns it only once it runs again (a stalled process, not a dead one).
  void FreezeNotifier(std::size_t index);
  void ThawNotifier(std::size_t index);
  ServiceProcess& Notifier(std::size_t index) { return *notifiers_.at(index); }

  RegisteredEndpoint Register(const std::string& url, std::vector<std::string> filters = {"order.*"});
  // Registrations reach a running notifier with its periodic re-read (a few seconds): waits that long.
  void WaitForEveryNotifierToKnowTheEndpoints();

  // Event ids of GET /webhooks/{id}/deliveries?status=failed, every page, from any live notifier.
  std::set<std::string> FailedDeliveries(const std::string& endpoint_id);
  // How many events the log holds now that `endpoint` asked for (appended since its registration).
  std::size_t EventsOwed(const RegisteredEndpoint& endpoint);
  // Waits until every event owed to the endpoint reached the receiver (first arrivals), or was listed
  // as failed when `failed_counts`; false after `ceiling`.
  bool WaitUntilSettled(const RegisteredEndpoint& endpoint, const WebhookReceiver& receiver, bool failed_counts,
                        std::chrono::seconds ceiling);

  // A notifier's counter for an endpoint from its /metrics (e.g. "successes"); 0 when absent.
  double EndpointCounter(std::size_t notifier, const std::string& name, const std::string& endpoint_id);
  double Gauge(std::size_t notifier, const std::string& metric);

  // The webhook invariants for the endpoint against its receiver, and every recorded request's
  // signature verified by `standardwebhooks`. Returns the report (counts for the scenario's output).
  // `replayed`: events listed as failed and then replayed (they may arrive after their order's later events).
  invariants::Report ExpectWebhookInvariants(const RegisteredEndpoint& endpoint, const WebhookReceiver& receiver,
                                             const std::set<std::string>& replayed = {});

  void Mark(const std::string& what) const;  // prints `what` with the seconds since SetUp began

  std::string topic_, inventory_topic_, group_, schema_;
  std::map<std::string, std::string> notifier_env_;  // a scenario's settings, before StartNotifier
  std::unique_ptr<ServiceProcess> command_;

 private:
  std::uint16_t AnyLiveNotifierPort();

  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<ServiceProcess>> notifiers_;
  std::set<std::size_t> frozen_;
};

}  // namespace orders::testing

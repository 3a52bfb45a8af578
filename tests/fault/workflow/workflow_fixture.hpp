#pragma once
// The fulfilment workflow under faults: command-service instances with
// WORKFLOW=on, paying through the HTTP gateway stub (its own process), with
// their own orders and inventory topics. Scenarios that leave the broker
// alone use the run's broker (KAFKA_BROKERS: ./infra/test.sh starts a private
// one for the fault tier); those that kill it or cut the network to it
// (WorkflowOnPrivateBroker) start their own, reached through a TCP proxy the
// test can cut.
//
// A scenario starts instances, runs an OrderStream, injects its fault, waits
// until every order has left pending (Settled), asserts the outcome precisely
// (workflow_outcome.hpp, the stub's calls per idempotency key) and ends with
// the invariant checker (CheckInvariants).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/invariants/checker.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/payment_gateway_stub.hpp>
#include <orders/testing/private_kafka.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/tcp_proxy.hpp>

#include "order_stream.hpp"
#include "workflow_outcome.hpp"

namespace orders::testing {

// A product with stock (set by the scenario) that the load's orders hold.
inline const std::string kTrackedProduct = "sku-wf-tracked";
// `orders` orders at `per_second` from 4 clients, each of 1 x kTrackedProduct and 2 x an untracked product.
OrderStream::Options OrdersWithTrackedProduct(int orders, double per_second);

class WorkflowUnderFaults : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The environment of the next instance: the workflow on, the stub as gateway with quick retries,
  // a deadline longer than any scenario, then `command_env_` (a scenario's own settings) on top.
  std::map<std::string, std::string> CommandEnvironment() const;

  // Starts one more instance in the writer group and waits until it is ready; its index.
  std::size_t StartInstance();
  void KillInstance(std::size_t index);  // SIGKILL
  void StopInstance(std::size_t index);  // SIGTERM: leaves the group at once
  // Starts a killed or stopped instance again; `group` empty: the scenario's writer group.
  void RestartInstance(std::size_t index, const std::string& group = {});
  // Everything an instance logged, over all its starts.
  std::string InstanceLog(std::size_t index) { return instances_.at(index)->LogText(); }
  // Ports of the instances that are up (for the load's clients, from any thread).
  std::vector<std::uint16_t> LivePorts() const;

  // PUT /inventory/{product} {"onHand"} on whichever instance writes the product (retried until one does).
  bool SetStock(const std::string& product, std::int64_t on_hand);
  nlohmann::json GetStock(const std::string& product);

  // Every order of `ids` left pending, every cancelled order with an authorized payment was refunded,
  // and no cancelled order still holds stock.
  bool Settled(const std::vector<std::string>& ids);
  bool WaitUntilSettled(const std::vector<std::string>& ids, std::chrono::seconds ceiling);
  // For a failure message: where the orders stand, and what the inventory log breaks.
  std::string WhyUnsettled(const std::vector<std::string>& ids);

  // Every order of `ids` is confirmed, by one payment_authorized and one move, never declined nor cancelled.
  OrdersOutcome ExpectEveryOrderConfirmedOnce(const std::vector<std::string>& ids);
  // Each order of `ids` that holds stock of `product` reserved it exactly once; the inventory log obeys its rules.
  void ExpectReservedOnceEach(const std::vector<std::string>& ids, const std::string& product);

  // The gateway moved money exactly once for each of `ids` (key = orderId) and for nothing else.
  void ExpectOneChargePerOrder(const std::vector<std::string>& ids, const nlohmann::json& calls);

  // Prints `what` with the seconds since SetUp began: where a scenario spends its time.
  void Mark(const std::string& what) const;

  // The invariant checker on the orders topic with what the load was told.
  invariants::Report CheckInvariants(const std::vector<invariants::Acknowledged>& acks);

  bool private_broker_ = false;      // set before SetUp (WorkflowOnPrivateBroker)
  std::unique_ptr<TcpProxy> proxy_;  // private broker only: between every client (services and test) and it
  std::unique_ptr<PrivateKafka> kafka_;
  std::string brokers_;  // what the services and the test's reads use
  std::unique_ptr<PaymentGatewayStub> gateway_;
  std::string topic_, inventory_topic_, group_;
  std::map<std::string, std::string> command_env_;  // a scenario's settings, before StartInstance
  std::chrono::seconds payment_timeout_{120};       // PAYMENT_TIMEOUT of the instances

 private:
  void SetLive(std::size_t index, bool live);

  std::string saved_brokers_;
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<ServiceProcess>> instances_;
  mutable std::mutex live_mutex_;
  std::vector<std::uint16_t> live_ports_;  // per instance, 0 while it is down
};

class WorkflowOnPrivateBroker : public WorkflowUnderFaults {
 protected:
  WorkflowOnPrivateBroker() { private_broker_ = true; }
};

// "42 confirmed, 0 cancelled, ..." for the printed outcome of a scenario.
std::string Describe(const OrdersOutcome& outcome, const std::vector<std::string>& ids);
// {"orders": n, "requests": total requests, "charges": keys charged, "maxChargesPerKey", "refunds", "reasked": keys
// asked more than once}
nlohmann::json SummarizeCalls(const nlohmann::json& calls);

}  // namespace orders::testing

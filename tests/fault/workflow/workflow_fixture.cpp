#include "workflow_fixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <set>

#include <orders/invariants/sources.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/loopback.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {

using nlohmann::json;
using namespace std::chrono_literals;

OrderStream::Options OrdersWithTrackedProduct(int orders, double per_second) {
  OrderStream::Options options;
  options.orders = orders;
  options.clients = 4;
  options.per_second = per_second;
  options.items = json::array({{{"productId", kTrackedProduct}, {"quantity", 1}, {"unitPriceCents", 1500}},
                               {{"productId", "sku-wf-untracked"}, {"quantity", 2}, {"unitPriceCents", 700}}});
  return options;
}

void WorkflowUnderFaults::SetUp() {
  began_ = std::chrono::steady_clock::now();
  saved_brokers_ = KafkaBrokers();
  if (private_broker_) {
    const std::uint16_t broker_port = FreePort();
    proxy_ = std::make_unique<TcpProxy>(broker_port);
    std::string error;
    kafka_ = PrivateKafka::Create(error, broker_port, proxy_->port());
    ASSERT_TRUE(kafka_) << error;
    brokers_ = kafka_->Brokers();
    ::setenv("KAFKA_BROKERS", brokers_.c_str(), 1);  // topic creation and every read of the test
  } else {
    ORDERS_REQUIRE_KAFKA();
    brokers_ = saved_brokers_;
  }
  topic_ = UniqueName("wf-orders");
  inventory_topic_ = UniqueName("wf-inventory");
  group_ = UniqueName("wf-writers");
  ASSERT_EQ(CreateTopic(topic_, 6), "");
  ASSERT_EQ(CreateTopic(inventory_topic_, 6), "");
  gateway_ = std::make_unique<PaymentGatewayStub>();
  ASSERT_NE(gateway_->port(), 0) << "the payment gateway stub did not start";
  Mark(std::string(private_broker_ ? "private broker, " : "") + "topics and gateway stub up");
}

void WorkflowUnderFaults::Mark(const std::string& what) const {
  const std::chrono::duration<double> since = std::chrono::steady_clock::now() - began_;
  std::printf("[%6.1f s] %s\n", since.count(), what.c_str());
  std::fflush(stdout);
}

void WorkflowUnderFaults::TearDown() {
  if (HasFailure()) {  // what each instance said last, for the failure's reader
    for (std::size_t i = 0; i < instances_.size(); ++i) {
      const auto lines = instances_[i]->LogLines();
      std::printf("---- instance %zu, last log lines:\n", i);
      for (std::size_t at = lines.size() > 40 ? lines.size() - 40 : 0; at < lines.size(); ++at) {
        std::printf("%s\n", lines[at].c_str());
      }
    }
  }
  instances_.clear();
  gateway_.reset();
  kafka_.reset();
  proxy_.reset();
  ::setenv("KAFKA_BROKERS", saved_brokers_.c_str(), 1);
}

std::map<std::string, std::string> WorkflowUnderFaults::CommandEnvironment() const {
  // PORT and RATE_LIMIT too: ServiceProcess::SetEnvironment (used for every start here) replaces the
  // defaults its constructor adds.
  std::map<std::string, std::string> env{
      {"PORT", "0"},
      {"RATE_LIMIT", "off"},
      {"KAFKA_BROKERS", brokers_},
      {"ORDERS_TOPIC", topic_},
      {"INVENTORY_TOPIC", inventory_topic_},
      {"CONSUMER_GROUP", group_},
      {"WORKFLOW", "on"},
      {"PAYMENT_GATEWAY", "http"},
      {"PAYMENT_URL", gateway_->Url()},
      {"PAYMENT_TIMEOUT", std::to_string(payment_timeout_.count()) + "s"},
      // Quick attempts and a short open circuit: a scenario's outage costs seconds, not minutes.
      {"PAYMENT_REQUEST_TIMEOUT_MS", "1000"},
      {"PAYMENT_RETRY_ATTEMPTS", "3"},
      {"PAYMENT_RETRY_INITIAL_MS", "50"},
      {"PAYMENT_RETRY_MAX_MS", "200"},
      {"PAYMENT_BREAKER_THRESHOLD", "5"},
      {"PAYMENT_BREAKER_OPEN_MS", "300"},
      {"PAYMENT_CONCURRENCY", "32"},
      {"SHUTDOWN_GRACE", "3"},
  };
  for (const auto& [name, value] : command_env_) env[name] = value;
  return env;
}

std::size_t WorkflowUnderFaults::StartInstance() {
  const std::size_t index = instances_.size();
  instances_.push_back(std::make_unique<ServiceProcess>(CommandServiceBinary(), CommandEnvironment()));
  {
    std::lock_guard lock(live_mutex_);
    live_ports_.push_back(0);
  }
  RestartInstance(index);
  return index;
}

void WorkflowUnderFaults::SetLive(std::size_t index, bool live) {
  std::lock_guard lock(live_mutex_);
  live_ports_.at(index) = live ? instances_.at(index)->port() : 0;
}

void WorkflowUnderFaults::KillInstance(std::size_t index) {
  SetLive(index, false);
  instances_.at(index)->Kill();
}

void WorkflowUnderFaults::StopInstance(std::size_t index) {
  SetLive(index, false);
  instances_.at(index)->Stop();
}

void WorkflowUnderFaults::RestartInstance(std::size_t index, const std::string& group) {
  auto& instance = *instances_.at(index);
  auto env = CommandEnvironment();
  if (!group.empty()) env["CONSUMER_GROUP"] = group;
  instance.SetEnvironment(env);
  ASSERT_TRUE(instance.Start()) << instance.LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(instance.port(), "GET", "/readyz").status == 200; }, 60s))
      << instance.LogText();
  SetLive(index, true);
  Mark("instance " + std::to_string(index) + " ready");
}

std::vector<std::uint16_t> WorkflowUnderFaults::LivePorts() const {
  std::lock_guard lock(live_mutex_);
  std::vector<std::uint16_t> ports;
  for (const auto port : live_ports_) {
    if (port != 0) ports.push_back(port);
  }
  return ports;
}

bool WorkflowUnderFaults::SetStock(const std::string& product, std::int64_t on_hand) {
  const auto body = json{{"onHand", on_hand}}.dump();
  int attempt = 0;
  return Eventually(
      [&] {
        const auto ports = LivePorts();
        if (ports.empty()) return false;
        const auto port = ports[static_cast<std::size_t>(attempt++) % ports.size()];
        return HttpRequest(port, "PUT", "/inventory/" + product, body,
                           WithToken({{"Content-Type", "application/json"}}))
                   .status == 200;
      },
      60s, 50ms);
}

json WorkflowUnderFaults::GetStock(const std::string& product) {
  const auto ports = LivePorts();
  if (ports.empty()) return json();
  const auto response = HttpRequest(ports.front(), "GET", "/inventory/" + product, {}, WithToken());
  return response.status == 200 ? json::parse(response.body, nullptr, false) : json();
}

bool WorkflowUnderFaults::Settled(const std::vector<std::string>& ids) {
  const auto orders = ReadOrdersOutcome(topic_);
  if (!orders.AllLeftPending(ids)) return false;
  for (const auto& id : ids) {
    const auto& order = orders.orders.at(id);
    if (order.status == domain::Status::kCancelled && order.authorized > order.refunded) return false;
  }
  const auto inventory = ReadInventoryOutcome(inventory_topic_);
  for (const auto& [product, ledger] : inventory.products) {
    if (!ledger.stock) continue;
    for (const auto& [order_id, quantity] : ledger.stock->reservations) {
      const auto it = orders.orders.find(order_id);
      if (it != orders.orders.end() && it->second.status == domain::Status::kCancelled) return false;
    }
  }
  return true;
}

bool WorkflowUnderFaults::WaitUntilSettled(const std::vector<std::string>& ids, std::chrono::seconds ceiling) {
  const bool settled = Eventually([&] { return Settled(ids); }, ceiling, 250ms);
  Mark(settled ? "every order settled" : "orders still unsettled");
  return settled;
}

std::string WorkflowUnderFaults::WhyUnsettled(const std::vector<std::string>& ids) {
  std::string text = Describe(ReadOrdersOutcome(topic_), ids);
  const auto inventory = ReadInventoryOutcome(inventory_topic_);
  text += "; " + std::to_string(inventory.violations.size()) + " inventory log violations";
  for (std::size_t i = 0; i < inventory.violations.size() && i < 5; ++i) text += "\n  " + inventory.violations[i];
  return text;
}

OrdersOutcome WorkflowUnderFaults::ExpectEveryOrderConfirmedOnce(const std::vector<std::string>& ids) {
  const auto outcome = ReadOrdersOutcome(topic_);
  EXPECT_TRUE(outcome.problems.empty()) << outcome.problems.front();
  EXPECT_EQ(outcome.Count(ids, domain::Status::kConfirmed), static_cast<int>(ids.size())) << Describe(outcome, ids);
  for (const auto& id : ids) {
    const auto it = outcome.orders.find(id);
    if (it == outcome.orders.end()) continue;  // counted above
    const auto& order = it->second;
    EXPECT_EQ(order.authorized, 1) << id << ": order.payment_authorized events";
    EXPECT_EQ(order.confirmations, 1) << id << ": moves to confirmed";
    EXPECT_EQ(order.declined + order.refunded + order.cancellations, 0) << id << ": declined, refunded or cancelled";
  }
  return outcome;
}

void WorkflowUnderFaults::ExpectReservedOnceEach(const std::vector<std::string>& ids, const std::string& product) {
  const auto inventory = ReadInventoryOutcome(inventory_topic_);
  for (const auto& violation : inventory.violations) ADD_FAILURE() << "inventory log: " << violation;
  ASSERT_TRUE(inventory.products.count(product)) << product << " has no stock events";
  const auto& ledger = inventory.products.at(product);
  for (const auto& id : ids) {
    const auto it = ledger.reservations_per_order.find(id);
    EXPECT_EQ(it == ledger.reservations_per_order.end() ? 0 : it->second, 1) << id << ": reservations of " << product;
  }
  EXPECT_LE(ledger.max_over_on_hand, 0) << product << " was reserved beyond its stock at some offset";
}

void WorkflowUnderFaults::ExpectOneChargePerOrder(const std::vector<std::string>& ids, const json& calls) {
  const auto& charges = calls.at("charges");
  std::set<std::string> expected(ids.begin(), ids.end());
  for (const auto& id : ids) {
    EXPECT_EQ(charges.value(id, 0), 1) << "order " << id << ": the gateway's charges for its key";
  }
  for (const auto& [key, count] : charges.items()) {
    EXPECT_TRUE(expected.count(key)) << "the gateway charged " << count << " times for key " << key
                                     << ", which is none of the orders expected to pay";
  }
}

invariants::Report WorkflowUnderFaults::CheckInvariants(const std::vector<invariants::Acknowledged>& acks) {
  // The one place every workflow scenario calls the invariant checker: with the stock rules on the
  // inventory topic and the workflow rules under the instances' deadline.
  invariants::CheckOptions options;
  options.inventory_topic = inventory_topic_;
  options.workflow = invariants::WorkflowOptions{payment_timeout_};
  return invariants::CheckEverything(topic_, "", "", acks, {}, options);
}

std::string Describe(const OrdersOutcome& outcome, const std::vector<std::string>& ids) {
  std::map<std::string, int> by_outcome;
  for (const auto& id : ids) {
    const auto it = outcome.orders.find(id);
    if (it == outcome.orders.end()) {
      ++by_outcome["missing"];
      continue;
    }
    std::string name(domain::ToString(it->second.status));
    if (!it->second.cancel_reason.empty()) name += " " + it->second.cancel_reason;
    ++by_outcome[name];
  }
  std::string text;
  for (const auto& [name, count] : by_outcome) text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + name;
  return text;
}

json SummarizeCalls(const json& calls) {
  int max_charges = 0, reasked = 0;
  for (const auto& [key, count] : calls.at("charges").items()) max_charges = std::max(max_charges, count.get<int>());
  for (const auto& [key, count] : calls.at("requests").items()) reasked += count.get<int>() > 1;
  return {{"requests", calls.value("total", 0)},
          {"keysCharged", calls.at("charges").size()},
          {"maxChargesPerKey", max_charges},
          {"keysRefunded", calls.at("refunds").size()},
          {"keysAskedMoreThanOnce", reasked}};
}

}  // namespace orders::testing

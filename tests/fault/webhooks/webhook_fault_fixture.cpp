#include "webhook_fault_fixture.hpp"

#include <csignal>
#include <cstdio>
#include <sstream>
#include <thread>

#include <orders/codec/time_format.hpp>
#include <orders/invariants/webhook_rules.hpp>
#include <orders/invariants/webhook_sources.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {

using nlohmann::json;
using namespace std::chrono_literals;

void WebhooksUnderFaults::SetUp() {
  ORDERS_REQUIRE_KAFKA();
  ORDERS_REQUIRE_POSTGRES();
  topic_ = UniqueName("wh-faults");
  inventory_topic_ = UniqueName("wh-faults-inventory");
  group_ = UniqueName("wh-faults-group");
  schema_ = UniqueName("wh_faults");
  for (char& c : schema_) c = c == '-' ? '_' : c;
  ASSERT_EQ(CreateTopic(topic_, 6), "");
  ASSERT_EQ(CreateTopic(inventory_topic_, 3), "");
  command_ = std::make_unique<ServiceProcess>(
      CommandServiceBinary(),
      std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_}, {"INVENTORY_TOPIC", inventory_topic_}});
  ASSERT_TRUE(command_->Start()) << command_->LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(command_->port(), "GET", "/readyz").status == 200; }, 30s))
      << command_->LogText();
  Mark("command service ready");
}

void WebhooksUnderFaults::TearDown() {
  for (const auto index : std::set<std::size_t>(frozen_)) ThawNotifier(index);  // a scenario that failed half-way
  for (auto& notifier : notifiers_) {
    if (notifier->running()) notifier->Stop();
  }
  if (command_) command_->Stop();
}

std::size_t WebhooksUnderFaults::StartNotifier() {
  auto env = notifier_env_;
  env["ORDERS_TOPIC"] = topic_;
  env["INVENTORY_TOPIC"] = inventory_topic_;
  env["CONSUMER_GROUP"] = group_;
  env["WEBHOOK_SCHEMA"] = schema_;  // one store for every instance
  env.try_emplace("WEBHOOK_TIMEOUT", "2s");
  notifiers_.push_back(std::make_unique<ServiceProcess>(NotifierBinary(), env));
  auto& notifier = *notifiers_.back();
  EXPECT_TRUE(notifier.Start()) << notifier.LogText();
  EXPECT_TRUE(Eventually([&] { return HttpRequest(notifier.port(), "GET", "/readyz").status == 200; }, 30s))
      << notifier.LogText();
  Mark("notifier " + std::to_string(notifiers_.size() - 1) + " ready");
  return notifiers_.size() - 1;
}

void WebhooksUnderFaults::KillNotifier(std::size_t index) {
  notifiers_.at(index)->Kill();
  Mark("notifier " + std::to_string(index) + " killed");
}

void WebhooksUnderFaults::RestartNotifier(std::size_t index) {
  auto& notifier = *notifiers_.at(index);
  ASSERT_TRUE(notifier.Start()) << notifier.LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier.port(), "GET", "/readyz").status == 200; }, 30s))
      << notifier.LogText();
  Mark("notifier " + std::to_string(index) + " restarted");
}

void WebhooksUnderFaults::FreezeNotifier(std::size_t index) {
  ::kill(notifiers_.at(index)->pid(), SIGSTOP);
  frozen_.insert(index);
  Mark("notifier " + std::to_string(index) + " frozen");
}

void WebhooksUnderFaults::ThawNotifier(std::size_t index) {
  ::kill(notifiers_.at(index)->pid(), SIGCONT);
  frozen_.erase(index);
  Mark("notifier " + std::to_string(index) + " thawed");
}

std::uint16_t WebhooksUnderFaults::AnyLiveNotifierPort() {
  for (std::size_t index = 0; index < notifiers_.size(); ++index) {
    if (notifiers_[index]->running() && !frozen_.count(index)) return notifiers_[index]->port();
  }
  return 0;
}

RegisteredEndpoint WebhooksUnderFaults::Register(const std::string& url, std::vector<std::string> filters) {
  RegisteredEndpoint endpoint;
  const auto answer =
      HttpRequest(AnyLiveNotifierPort(), "POST", "/webhooks", json{{"url", url}, {"events", filters}}.dump(),
                  WithToken({{"Content-Type", "application/json"}}));
  EXPECT_EQ(answer.status, 201) << answer.body;
  if (answer.status != 201) return endpoint;
  const auto body = json::parse(answer.body);
  endpoint.id = body["id"];
  endpoint.secret = body["secret"];
  endpoint.filters = std::move(filters);
  endpoint.created_at = body["createdAt"];
  const auto created = codec::ParseTimestamp(endpoint.created_at);
  EXPECT_TRUE(created.has_value()) << answer.body;
  if (created) endpoint.created_ms = created->time_since_epoch().count();
  return endpoint;
}

void WebhooksUnderFaults::WaitForEveryNotifierToKnowTheEndpoints() {
  std::this_thread::sleep_for(4s);  // the dispatcher re-reads the registrations every 3 s
  Mark("registrations known");
}

std::set<std::string> WebhooksUnderFaults::FailedDeliveries(const std::string& endpoint_id) {
  std::set<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    const auto answer = HttpRequest(AnyLiveNotifierPort(), "GET",
                                    "/webhooks/" + endpoint_id + "/deliveries?status=failed&limit=100" +
                                        (cursor.empty() ? "" : "&cursor=" + cursor),
                                    {}, WithToken());
    EXPECT_EQ(answer.status, 200) << answer.body;
    if (answer.status != 200) break;
    const auto body = json::parse(answer.body);
    for (const auto& item : body["items"]) ids.insert(item["eventId"].get<std::string>());
    if (!body.contains("nextCursor")) break;
    cursor = body["nextCursor"];
  }
  return ids;
}

namespace {

std::set<std::string> OwedIds(const std::vector<invariants::WebhookLogEvent>& log, const RegisteredEndpoint& endpoint) {
  std::set<std::string> owed;
  for (const auto& event : log) {
    if (event.appended_ms < endpoint.created_ms) continue;
    for (const auto& filter : endpoint.filters) {
      if (invariants::WebhookFilterMatches(filter, event.type)) owed.insert(event.id);
    }
  }
  return owed;
}

}  // namespace

std::size_t WebhooksUnderFaults::EventsOwed(const RegisteredEndpoint& endpoint) {
  return OwedIds(invariants::ReadWebhookLog(topic_), endpoint).size();
}

bool WebhooksUnderFaults::WaitUntilSettled(const RegisteredEndpoint& endpoint, const WebhookReceiver& receiver,
                                           bool failed_counts, std::chrono::seconds ceiling) {
  return Eventually(
      [&] {
        auto owed = OwedIds(invariants::ReadWebhookLog(topic_), endpoint);
        for (const auto& request : receiver.Received()) owed.erase(request["headers"].value("webhook-id", ""));
        if (failed_counts && !owed.empty()) {
          for (const auto& id : FailedDeliveries(endpoint.id)) owed.erase(id);
        }
        return owed.empty();
      },
      ceiling, 500ms);
}

namespace {

// The value of the first sample of `metric` whose labels contain `label_text` (e.g. endpoint="ep_…").
double SampleOf(const std::string& metrics, const std::string& metric, const std::string& label_text) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(metric, 0) != 0) continue;
    const auto rest = line.substr(metric.size());
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;
    if (!label_text.empty() && rest.find(label_text) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return 0;
}

}  // namespace

double WebhooksUnderFaults::EndpointCounter(std::size_t notifier, const std::string& name,
                                            const std::string& endpoint_id) {
  const auto metrics = HttpRequest(notifiers_.at(notifier)->port(), "GET", "/metrics");
  return SampleOf(metrics.body, "orders_notifier_webhook_" + name + "_total", "endpoint=\"" + endpoint_id + "\"");
}

double WebhooksUnderFaults::Gauge(std::size_t notifier, const std::string& metric) {
  return SampleOf(HttpRequest(notifiers_.at(notifier)->port(), "GET", "/metrics").body, metric, "");
}

invariants::Report WebhooksUnderFaults::ExpectWebhookInvariants(const RegisteredEndpoint& endpoint,
                                                                const WebhookReceiver& receiver,
                                                                const std::set<std::string>& replayed) {
  invariants::WebhookEndpointRun run;
  run.name = endpoint.id;
  run.filters = endpoint.filters;
  run.registered_ms = endpoint.created_ms;
  run.received = receiver.Received();
  run.listed_failed = FailedDeliveries(endpoint.id);
  run.replayed = replayed;
  invariants::Report report;
  invariants::CheckWebhookDeliveries(invariants::ReadWebhookLog(topic_), run, report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  std::printf("[webhook invariants] %s\n", report.Summary().c_str());

  const json deliveries = {{"secret", endpoint.secret}, {"requests", run.received}};
  const auto check = RunPythonTool("tests/tools/verify_webhook_signatures.py", "", deliveries.dump());
  if (check.exit_status == 77 && !InfraRequired()) {
    std::printf("[webhook signatures] not verified: %s\n", check.output.c_str());
  } else {
    EXPECT_EQ(check.exit_status, 0) << check.output.substr(check.output.size() > 2000 ? check.output.size() - 2000 : 0);
    const auto summary = check.output.rfind('\n', check.output.size() > 1 ? check.output.size() - 2 : 0);
    std::printf("[webhook signatures] %s", check.output.substr(summary == std::string::npos ? 0 : summary + 1).c_str());
  }
  return report;
}

void WebhooksUnderFaults::Mark(const std::string& what) const {
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
  std::printf("[%6.1fs] %s\n", seconds, what.c_str());
  std::fflush(stdout);
}

}  // namespace orders::testing

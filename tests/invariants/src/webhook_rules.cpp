#include <orders/invariants/webhook_rules.hpp>

#include <map>

namespace orders::invariants {
namespace {

using nlohmann::json;

// "order.status_changed.v1" -> "order.status_changed": filters name events without their version.
std::string Unversioned(const std::string& type) {
  const auto dot = type.rfind('.');
  if (dot == std::string::npos || dot + 2 > type.size() || type[dot + 1] != 'v') return type;
  for (std::size_t i = dot + 2; i < type.size(); ++i) {
    if (type[i] < '0' || type[i] > '9') return type;
  }
  return type.substr(0, dot);
}

std::string HeaderOf(const json& request, const std::string& name) {
  const auto headers = request.find("headers");
  if (headers == request.end() || !headers->is_object()) return {};
  const auto value = headers->find(name);
  return value != headers->end() && value->is_string() ? value->get<std::string>() : std::string{};
}

}  // namespace

bool WebhookFilterMatches(const std::string& filter, const std::string& type) {
  if (filter == "*") return true;
  if (filter.size() > 2 && filter.compare(filter.size() - 2, 2, ".*") == 0) {
    return type.rfind(filter.substr(0, filter.size() - 1), 0) == 0;
  }
  return Unversioned(type) == filter;
}

void CheckWebhookDeliveries(const std::vector<WebhookLogEvent>& log, const WebhookEndpointRun& endpoint,
                            Report& report) {
  const std::string who = "webhook " + endpoint.name + ": ";
  std::map<std::string, const WebhookLogEvent*> by_id;
  std::set<std::string> expected;
  for (const auto& event : log) {
    by_id[event.id] = &event;
    bool wanted = event.appended_ms >= endpoint.registered_ms;
    if (wanted) {
      wanted = false;
      for (const auto& filter : endpoint.filters) wanted = wanted || WebhookFilterMatches(filter, event.type);
    }
    if (wanted) expected.insert(event.id);
  }

  std::map<std::string, std::string> body_of;           // webhook-id -> the body first posted
  std::map<std::string, std::int64_t> last_version_of;  // order -> the last version that arrived first
  std::set<std::string> arrived;
  std::int64_t repeats = 0;
  for (const auto& request : endpoint.received) {
    const std::string id = HeaderOf(request, "webhook-id");
    const std::string body = request.value("body", "");
    const auto found = by_id.find(id);
    if (found == by_id.end()) {
      report.Add(who + "a delivery with webhook-id '" + id + "' that is no event of the log");
      continue;
    }
    const WebhookLogEvent& event = *found->second;
    if (!expected.count(id)) {
      report.Add(who + "event " + id + " (" + event.type + ") delivered though the endpoint did not ask for it");
    }
    const auto cloud_event = json::parse(body, nullptr, false);
    if (cloud_event.is_discarded() || cloud_event.value("id", "") != id ||
        cloud_event.value("type", "") != event.type || cloud_event.value("subject", "") != event.order_id) {
      report.Add(who + "the body posted as " + id + " is not that event's CloudEvent: " + body.substr(0, 200));
    }
    const auto [first, inserted] = body_of.emplace(id, body);
    if (!inserted) {
      ++repeats;
      if (first->second != body) report.Add(who + "event " + id + " posted twice with different bodies");
      continue;
    }
    arrived.insert(id);
    if (endpoint.replayed.count(id)) continue;
    auto& last = last_version_of[event.order_id];
    if (event.version <= last) {
      report.Add(who + "order " + event.order_id + ": version " + std::to_string(event.version) +
                 " arrived first after version " + std::to_string(last));
    }
    last = std::max(last, event.version);
  }

  std::int64_t failed = 0;
  for (const auto& id : expected) {
    if (arrived.count(id)) continue;
    if (endpoint.listed_failed.count(id)) {
      ++failed;
      continue;
    }
    const auto& event = *by_id[id];
    report.Add(who + "event " + id + " (" + event.type + " of order " + event.order_id + " v" +
               std::to_string(event.version) + ") neither delivered nor listed as failed");
  }
  if (expected.empty()) report.Add(who + "no event of the log was for it: the check would pass on nothing");
  if (arrived.empty()) report.Add(who + "received nothing");
  report.counts["webhook_events_expected"] += static_cast<std::int64_t>(expected.size());
  report.counts["webhook_events_delivered"] += static_cast<std::int64_t>(arrived.size());
  report.counts["webhook_repeats_same_id"] += repeats;
  report.counts["webhook_events_listed_failed"] += failed;
}

}  // namespace orders::invariants

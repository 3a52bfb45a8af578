#pragma once
// The webhook invariants, checked per endpoint after a scenario from three
// independent sources: the log (what was appended, with its CloudEvent id and
// type), what the endpoint's receiver process recorded (every POST, in
// arrival order), and what the notifier lists as failed for the endpoint.
//   1. every event of the log that matches the endpoint's filters and was
//      appended at or after the endpoint's registration was delivered at
//      least once, or is listed as failed;
//   2. a delivery is an event of the log the endpoint asked for, posted with
//      the event's own id as webhook-id and the event as its body: a repeat
//      (at least once) carries the same webhook-id and the same body, so no
//      event ever reaches a receiver under two ids;
//   3. per order, the first arrival of each event is in log order (versions
//      ascending); events that failed and were replayed on request come late
//      by design and are left out of this rule (they must still arrive);
//   4. the check cannot pass on nothing: an endpoint that should have had no
//      event, or had no delivery, is a violation.
// Signatures are verified separately, by the Standard Webhooks reference
// library (tests/tools/verify_webhook_signatures.py). Pure logic over plain
// data; webhook_sources.hpp loads the log.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/invariants/checker.hpp>

namespace orders::invariants {

// One record of the orders log as a webhook sees it.
struct WebhookLogEvent {
  std::string id;    // ce_id: the webhook-id of its deliveries
  std::string type;  // ce_type, e.g. "order.placed.v1"
  std::string order_id;
  std::int64_t version = 0;
  std::int64_t appended_ms = 0;  // the record's Kafka timestamp (set by the producer at append)
};

struct WebhookEndpointRun {
  std::string name;                  // for messages
  std::vector<std::string> filters;  // as registered: event names, "order.*", "inventory.*", "*"
  std::int64_t registered_ms = 0;    // the endpoint's createdAt: events appended from then on are its
  // What its receiver recorded, in arrival order: {"headers":{"webhook-id":…},"body":"<CloudEvent>"}.
  std::vector<nlohmann::json> received;
  std::set<std::string> listed_failed;  // event ids of GET /webhooks/{id}/deliveries?status=failed
  std::set<std::string> replayed;       // event ids listed as failed, then replayed (POST /webhooks/{id}/replay)
};

// Does a filter of the registration API select this versioned CloudEvent type?
bool WebhookFilterMatches(const std::string& filter, const std::string& type);

void CheckWebhookDeliveries(const std::vector<WebhookLogEvent>& log, const WebhookEndpointRun& endpoint,
                            Report& report);

}  // namespace orders::invariants

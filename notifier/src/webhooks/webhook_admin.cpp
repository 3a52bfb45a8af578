#include <orders/notifier/webhooks/webhook_admin.hpp>

#include <charconv>

#include <orders/codec/event_topics.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/notifier/webhooks/delivery_cursor.hpp>
#include <orders/notifier/webhooks/delivery_status.hpp>
#include <orders/notifier/webhooks/rfc3339.hpp>

namespace orders::notifier::webhooks {
namespace {

using Json = nlohmann::json;

AdminAnswer Problem(int status, std::string title, std::string detail,
                    std::vector<platform::ProblemField> errors = {}) {
  AdminAnswer answer;
  answer.status = status;
  answer.problem = platform::Problem{status, std::move(title), std::move(detail), std::move(errors), {}};
  return answer;
}

AdminAnswer Invalid(std::vector<platform::ProblemField> errors) {
  return Problem(400, "Bad Request", "The request is not valid.", std::move(errors));
}

AdminAnswer NotFound() { return Problem(404, "Not Found", "No webhook endpoint with this id."); }

AdminAnswer Json200(int status, Json body) {
  AdminAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

std::string Timestamp(WallClock::time_point at) {
  return codec::FormatTimestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(at));
}

// A field name fit to echo: bounded, and only when it is printable ASCII.
std::string FieldName(const std::string& name) {
  for (char c : name) {
    if (c < 0x20 || c > 0x7e) return "(unprintable)";
  }
  return name.size() <= 64 ? name : name.substr(0, 64) + "...";
}

// URLs are ASCII (RFC 3986): anything else must be percent-encoded.
bool IsPrintableAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Characters (code points) of valid UTF-8 text, which the JSON parser has checked.
std::size_t CodePoints(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

Json EndpointJson(const Endpoint& endpoint) {
  Json json = {{"id", endpoint.id},
               {"url", endpoint.url},
               {"events", endpoint.events},
               {"description", endpoint.description},
               {"createdAt", Timestamp(endpoint.created_at)},
               {"disabled", endpoint.disabled},
               {"disabledReason", endpoint.disabled ? Json(endpoint.disabled_reason) : Json()},
               {"failingSince", endpoint.failing_since ? Json(Timestamp(*endpoint.failing_since)) : Json()}};
  return json;
}

Json DeliveryJson(const Delivery& delivery) {
  return {{"eventId", delivery.event_id},
          {"eventType", delivery.event_type},
          {"subject", delivery.subject},
          {"status", DeliveryStatusName(delivery.status)},
          {"attempts", delivery.attempts},
          {"eventTime", Timestamp(delivery.event_time)},
          {"nextAttemptAt",
           delivery.status == DeliveryStatus::kPending ? Json(Timestamp(delivery.next_attempt_at)) : Json()},
          {"lastHttpStatus", delivery.last_http_status ? Json(delivery.last_http_status) : Json()},
          {"lastError", delivery.last_error.empty() ? Json() : Json(delivery.last_error)},
          {"updatedAt", Timestamp(delivery.updated_at)},
          {"topic", delivery.topic},
          {"partition", delivery.partition},
          {"offset", delivery.offset}};
}

// The body as a JSON object, or the 400 that says why not.
std::optional<Json> ParseObject(std::string_view body, AdminAnswer& refusal) {
  Json parsed = Json::parse(body.begin(), body.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    refusal = Invalid({{"body", "must be a JSON object"}});
    return std::nullopt;
  }
  return parsed;
}

void RejectUnknownFields(const Json& object, std::initializer_list<std::string_view> known,
                         std::vector<platform::ProblemField>& errors) {
  for (const auto& [name, value] : object.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      errors.push_back({FieldName(name), "is not a known field"});
    }
  }
}

}  // namespace

bool IsEndpointId(std::string_view id) {
  if (id.size() != 39 || id.substr(0, 3) != "ep_") return false;
  for (std::size_t i = 3; i < id.size(); ++i) {
    const std::size_t at = i - 3;
    const char c = id[i];
    if (at == 8 || at == 13 || at == 18 || at == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::optional<AdminAnswer> WebhookAdmin::RefuseOversized(std::string_view body) const {
  if (body.size() <= deps_.limits.max_body_bytes) return std::nullopt;
  return Problem(413, "Content Too Large",
                 "The body is larger than " + std::to_string(deps_.limits.max_body_bytes) + " bytes.");
}

std::optional<Endpoint> WebhookAdmin::Find(const std::string& id, AdminAnswer& missing) {
  std::optional<Endpoint> endpoint;
  if (IsEndpointId(id)) endpoint = deps_.registry.Get(id);
  if (!endpoint) missing = NotFound();
  return endpoint;
}

AdminAnswer WebhookAdmin::Create(std::string_view body) {
  if (auto refusal = RefuseOversized(body)) return *refusal;
  AdminAnswer refusal;
  const auto request = ParseObject(body, refusal);
  if (!request) return refusal;
  std::vector<platform::ProblemField> errors;
  RejectUnknownFields(*request, {"url", "events", "description"}, errors);
  const auto& limits = deps_.limits;

  Endpoint endpoint;
  const auto url = request->find("url");
  if (url == request->end() || !url->is_string()) {
    errors.push_back({"url", "is required and must be a string"});
  } else {
    endpoint.url = url->get<std::string>();
    if (endpoint.url.size() > limits.max_url_bytes) {
      errors.push_back({"url", "is longer than " + std::to_string(limits.max_url_bytes) + " bytes"});
    } else if (!IsPrintableAscii(endpoint.url)) {
      errors.push_back({"url", "must be printable ASCII without spaces (percent-encode the rest)"});
    } else if (const std::string reason = deps_.check_url(endpoint.url); !reason.empty()) {
      errors.push_back({"url", reason});
    }
  }

  const auto events = request->find("events");
  if (events == request->end() || !events->is_array()) {
    errors.push_back({"events", "is required and must be an array of event names or patterns"});
  } else if (events->empty() || events->size() > limits.max_events) {
    errors.push_back({"events", "must hold 1 to " + std::to_string(limits.max_events) + " entries"});
  } else {
    for (std::size_t i = 0; i < events->size(); ++i) {
      const auto& event = (*events)[i];
      if (!event.is_string() || !codec::IsEventPattern(event.get<std::string>())) {
        errors.push_back({"events[" + std::to_string(i) + "]", "is not a known event name, order.*, inventory.* or *"});
        continue;
      }
      const std::string name = event.get<std::string>();
      if (std::find(endpoint.events.begin(), endpoint.events.end(), name) == endpoint.events.end()) {
        endpoint.events.push_back(name);
      }
    }
  }

  if (const auto description = request->find("description"); description != request->end()) {
    if (!description->is_string()) {
      errors.push_back({"description", "must be a string"});
    } else {
      endpoint.description = description->get<std::string>();
      if (CodePoints(endpoint.description) > limits.max_description_characters) {
        errors.push_back(
            {"description", "is longer than " + std::to_string(limits.max_description_characters) + " characters"});
      } else if (endpoint.description.find('\0') != std::string::npos) {
        errors.push_back({"description", "must not contain NUL characters"});
      }
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));

  endpoint.secret = deps_.new_secret();
  const auto created = deps_.registry.Create(endpoint);
  if (!created) {
    return Problem(409, "Conflict",
                   "The limit of " + std::to_string(limits.max_endpoints) +
                       " webhook endpoints is reached; delete one before registering another.");
  }
  Json answer = {{"id", created->id},
                 {"url", created->url},
                 {"events", created->events},
                 {"description", created->description},
                 {"createdAt", Timestamp(created->created_at)},
                 {"secret", created->secret}};
  AdminAnswer result = Json200(201, std::move(answer));
  result.headers.emplace_back("Location", "/webhooks/" + created->id);
  return result;
}

AdminAnswer WebhookAdmin::List() {
  Json items = Json::array();
  for (const auto& endpoint : deps_.registry.List()) items.push_back(EndpointJson(endpoint));
  return Json200(200, {{"items", std::move(items)}});
}

AdminAnswer WebhookAdmin::Get(const std::string& id) {
  AdminAnswer missing;
  const auto endpoint = Find(id, missing);
  if (!endpoint) return missing;
  return Json200(200, EndpointJson(*endpoint));
}

AdminAnswer WebhookAdmin::Delete(const std::string& id) {
  if (!IsEndpointId(id) || !deps_.registry.Delete(id)) return NotFound();
  AdminAnswer answer;
  answer.status = 204;
  return answer;
}

AdminAnswer WebhookAdmin::Deliveries(const std::string& id, const std::map<std::string, std::string>& query) {
  std::vector<platform::ProblemField> errors;
  std::optional<DeliveryStatus> status;
  std::optional<std::string> cursor;
  std::size_t limit = deps_.limits.default_page;
  for (const auto& [name, value] : query) {
    if (name == "status") {
      status = ParseDeliveryStatus(value);
      if (!status) errors.push_back({"status", "must be failed, pending or delivered"});
    } else if (name == "cursor") {
      if (!DecodeDeliveryCursor(value)) errors.push_back({"cursor", "is not a cursor this API returned"});
      cursor = value;
    } else if (name == "limit") {
      std::size_t parsed = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (value.empty() || value.size() > 4 || error != std::errc() || end != value.data() + value.size() ||
          parsed < 1 || parsed > deps_.limits.max_page) {
        errors.push_back({"limit", "must be a whole number from 1 to " + std::to_string(deps_.limits.max_page)});
      } else {
        limit = parsed;
      }
    } else {
      errors.push_back({FieldName(name), "is not a known parameter"});
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  AdminAnswer missing;
  if (!Find(id, missing)) return missing;
  const Page page = deps_.ledger.List(id, status, cursor, limit);
  Json items = Json::array();
  for (const auto& delivery : page.items) items.push_back(DeliveryJson(delivery));
  Json answer = {{"items", std::move(items)}};
  if (page.next_cursor) answer["nextCursor"] = *page.next_cursor;
  return Json200(200, std::move(answer));
}

AdminAnswer WebhookAdmin::Replay(const std::string& id, std::string_view body) {
  if (auto refusal = RefuseOversized(body)) return *refusal;
  AdminAnswer refusal;
  const auto request = ParseObject(body, refusal);
  if (!request) return refusal;
  std::vector<platform::ProblemField> errors;
  RejectUnknownFields(*request, {"from"}, errors);
  std::optional<WallClock::time_point> from;
  const auto field = request->find("from");
  if (field == request->end() || !field->is_string() || !(from = ParseRfc3339(field->get<std::string>()))) {
    errors.push_back({"from", "is required and must be an RFC 3339 date-time, e.g. 2026-12-05T00:00:00Z"});
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  AdminAnswer missing;
  if (!Find(id, missing)) return missing;
  return Json200(202, {{"replayed", deps_.ledger.Replay(id, *from)}});
}

}  // namespace orders::notifier::webhooks

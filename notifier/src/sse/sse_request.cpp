#include <orders/notifier/sse_request.hpp>

#include <charconv>

#include <nlohmann/json.hpp>
#include <orders/codec/event_topics.hpp>
#include <orders/domain/validation.hpp>

namespace orders::notifier {
namespace {

constexpr std::string_view kSelectors[] = {"orderId", "customerId", "courierId", "all", "openDeliveries", "topic"};

bool IsSelector(std::string_view name) {
  for (auto selector : kSelectors) {
    if (selector == name) return true;
  }
  return false;
}

bool IsKnownParameter(std::string_view name) {
  return IsSelector(name) || name == "lastEventId" || name == "access_token";
}

EventsRequest Refuse(std::string error) { return {{}, std::move(error)}; }

// Printable ASCII only: an id never carries control characters or line breaks.
bool IsPlausibleId(std::string_view id) {
  if (id.size() > kMaxLastEventIdBytes) return false;
  for (const char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// "<orderId>:<version>" of `order_id`: the version, else nullopt.
std::optional<std::int64_t> ResumeVersion(std::string_view id, std::string_view order_id) {
  const auto colon = id.rfind(':');
  if (colon == std::string_view::npos || id.substr(0, colon) != order_id) return std::nullopt;
  const std::string_view digits = id.substr(colon + 1);
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  std::int64_t version = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (error != std::errc() || end != digits.data() + digits.size() || version < 0) return std::nullopt;
  return version;
}

}  // namespace

EventsRequest ParseEventsRequest(const std::map<std::string, std::string>& query,
                                 std::optional<std::string_view> last_event_id_header) {
  std::string selector;
  for (const auto& [name, value] : query) {
    if (!IsKnownParameter(name)) {
      return Refuse(
          "Unknown query parameter. /events takes one of orderId, customerId, courierId, all, openDeliveries, "
          "topic, and optionally lastEventId and access_token.");
    }
    if (!IsSelector(name)) continue;
    if (!selector.empty()) {
      return Refuse("Give exactly one of orderId, customerId, courierId, all, openDeliveries, topic.");
    }
    selector = name;
  }
  if (selector.empty()) {
    return Refuse("Give exactly one of orderId, customerId, courierId, all, openDeliveries, topic.");
  }
  const std::string& value = query.at(selector);
  nlohmann::json message{{"type", "subscribe"}};
  if (selector == "orderId") {
    if (!domain::IsValidOrderId(value)) return Refuse("orderId must be a lower-case UUID.");
    message["orderId"] = value;
  } else if (selector == "customerId") {
    if (!domain::IsValidCustomerId(value)) return Refuse("customerId must be 1-64 characters of A-Z a-z 0-9 . _ -");
    message["customerId"] = value;
  } else if (selector == "courierId") {
    if (!domain::IsValidCourierId(value)) return Refuse("courierId must be 1-64 characters of A-Z a-z 0-9 . _ -");
    message["courierId"] = value;
  } else if (selector == "all" || selector == "openDeliveries") {
    if (value != "true") return Refuse(selector + " must be true.");
    message[selector] = true;
  } else {
    if (!codec::IsEventPattern(value)) {
      return Refuse("topic must be an event name (e.g. order.status_changed), order.*, inventory.* or *.");
    }
    message["topic"] = value;
  }

  std::optional<std::string_view> last_event_id = last_event_id_header;
  if (!last_event_id) {
    if (auto it = query.find("lastEventId"); it != query.end()) last_event_id = it->second;
  }
  if (last_event_id && !last_event_id->empty()) {
    if (!IsPlausibleId(*last_event_id)) return Refuse("Last-Event-ID is not an event id of this stream.");
    if (selector == "orderId") {
      const auto version = ResumeVersion(*last_event_id, value);
      if (!version) return Refuse("Last-Event-ID must be <orderId>:<version> of the order this stream follows.");
      message["sinceVersion"] = *version;
    }
  }
  return {message.dump(), {}};
}

}  // namespace orders::notifier

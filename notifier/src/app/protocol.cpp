#include <orders/notifier/protocol.hpp>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/event_topics.hpp>
#include <orders/codec/json_read.hpp>
#include <orders/codec/json_text.hpp>
#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/domain/validation.hpp>

namespace orders::notifier {
namespace {

using codec::Json;

ClientMessage Invalid(std::string error) {
  ClientMessage message;
  message.error = std::move(error);
  return message;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

ClientMessage TooLarge(std::string error) {
  ClientMessage message = Invalid(std::move(error));
  message.too_large = true;
  return message;
}

ClientMessage Lookup(std::string_view order_id) {
  ClientMessage message;
  message.type = ClientMessage::Type::kLookup;
  message.selector = {Selector::Kind::kOrder, std::string(order_id)};
  return message;
}

}  // namespace

ClientMessage ParseClientMessage(std::string_view text) {
  if (text.size() > kMaxCommandMessageBytes) return TooLarge("message too large");
  const std::string_view trimmed = Trim(text);
  if (domain::IsValidOrderId(trimmed)) return Lookup(trimmed);

  auto json = codec::ParseJson(trimmed, kMaxCommandMessageBytes);
  if (!json) return Invalid("not valid JSON");
  if (json->is_string()) {
    if (text.size() > kMaxClientMessageBytes) return TooLarge("message too large");
    const auto& id = json->get_ref<const std::string&>();
    if (domain::IsValidOrderId(id)) return Lookup(id);
    return Invalid("not an order id");
  }
  if (!json->is_object()) return Invalid("messages are JSON objects");
  const auto type_it = json->find("type");
  if (type_it == json->end() || !type_it->is_string()) return Invalid("type is required");
  const std::string& type = type_it->get_ref<const std::string&>();
  // Only a command may be longer than the usual bound (it carries a REST body).
  if (type != "command" && text.size() > kMaxClientMessageBytes) return TooLarge("message too large");

  ClientMessage message;
  if (type == "ping") {
    message.type = ClientMessage::Type::kPing;
    return message;
  }
  if (type == "command") {
    auto parse = ParseCommand(*json);
    if (!parse.command) {
      message = parse.too_large ? TooLarge(std::move(parse.error)) : Invalid(std::move(parse.error));
      message.command.request_id = std::move(parse.request_id);
      return message;
    }
    message.type = ClientMessage::Type::kCommand;
    message.command = std::move(*parse.command);
    return message;
  }
  if (type != "subscribe" && type != "unsubscribe") return Invalid("unknown type");
  message.type = type == "subscribe" ? ClientMessage::Type::kSubscribe : ClientMessage::Type::kUnsubscribe;

  const bool has_order = json->contains("orderId");
  const bool has_customer = json->contains("customerId");
  const bool has_courier = json->contains("courierId");
  const bool has_all = json->contains("all");
  const bool has_open = json->contains("openDeliveries");
  const bool has_topic = json->contains("topic");
  if (has_order + has_customer + has_courier + has_all + has_open + has_topic != 1) {
    return Invalid("give one of orderId, customerId, courierId, all, openDeliveries, topic");
  }
  if (has_order) {
    const Json& id = (*json)["orderId"];
    if (!id.is_string() || !domain::IsValidOrderId(id.get_ref<const std::string&>())) {
      return Invalid("orderId must be a lower-case UUID");
    }
    message.selector = {Selector::Kind::kOrder, id.get<std::string>()};
  } else if (has_customer || has_courier) {
    const char* name = has_customer ? "customerId" : "courierId";
    const Json& id = (*json)[name];
    const bool valid = id.is_string() && (has_customer ? domain::IsValidCustomerId(id.get_ref<const std::string&>())
                                                       : domain::IsValidCourierId(id.get_ref<const std::string&>()));
    if (!valid) {
      return Invalid(std::string(name) + " must be 1-64 characters of A-Z a-z 0-9 . _ -");
    }
    message.selector = {has_customer ? Selector::Kind::kCustomer : Selector::Kind::kCourier, id.get<std::string>()};
  } else if (has_topic) {
    const Json& topic = (*json)["topic"];
    if (!topic.is_string() || !codec::IsEventPattern(topic.get_ref<const std::string&>())) {
      return Invalid("topic must be an event name, order.*, inventory.* or *");
    }
    message.selector = {Selector::Kind::kTopic, topic.get<std::string>()};
  } else if (has_all) {
    if ((*json)["all"] != true) return Invalid("all must be true");
    message.selector = {Selector::Kind::kAll, {}};
  } else {
    if ((*json)["openDeliveries"] != true) return Invalid("openDeliveries must be true");
    message.selector = {Selector::Kind::kOpenDeliveries, {}};
  }
  if (json->contains("sinceVersion")) {
    const Json& since = (*json)["sinceVersion"];
    if (message.selector.kind != Selector::Kind::kOrder || message.type != ClientMessage::Type::kSubscribe) {
      return Invalid("sinceVersion goes with subscribe by orderId");
    }
    if (!since.is_number_integer() || since.get<std::int64_t>() < 0) {
      return Invalid("sinceVersion must be a non-negative integer");
    }
    message.since_version = since.get<std::int64_t>();
  }
  return message;
}

std::string SnapshotMessage(const domain::Order& order, bool recovered) {
  Json message{{"type", "snapshot"}, {"order", codec::OrderToJson(order)}};
  if (!recovered) message["recovered"] = false;
  return codec::DumpJson(message);
}

std::vector<std::string> SnapshotPages(const Selector& selector,
                                       const std::vector<const domain::Order*>& orders_in_order,
                                       SnapshotPaging paging) {
  std::string selector_field;
  switch (selector.kind) {
    case Selector::Kind::kCustomer:
      selector_field = ",\"customerId\":" + codec::DumpJson(selector.value);
      break;
    case Selector::Kind::kCourier:
      selector_field = ",\"courierId\":" + codec::DumpJson(selector.value);
      break;
    case Selector::Kind::kAll:
      selector_field = ",\"all\":true";
      break;
    case Selector::Kind::kOpenDeliveries:
      selector_field = ",\"openDeliveries\":true";
      break;
    case Selector::Kind::kOrder:
    case Selector::Kind::kTopic:
      break;
  }
  std::vector<std::string> pages;
  std::string orders;  // the current page's orders, comma-separated
  std::size_t total = 0;
  auto close_page = [&](bool last, bool truncated) {
    pages.push_back(R"({"type":"snapshot")" + selector_field + R"(,"page":)" + std::to_string(pages.size()) +
                    R"(,"last":)" + (last ? "true" : "false") + (truncated ? R"(,"truncated":true)" : "") +
                    R"(,"orders":[)" + orders + "]}");
    total += pages.back().size();
    orders.clear();
  };
  // Room for the envelope around the orders (type, selector, page number, last).
  const std::size_t envelope = 64 + selector_field.size();
  bool truncated = false;
  for (const auto* order : orders_in_order) {
    std::string text = codec::OrderJsonText(*order);
    if (total + envelope + orders.size() + 1 + text.size() > paging.total_bytes) {
      truncated = true;
      break;
    }
    if (!orders.empty() && envelope + orders.size() + 1 + text.size() > paging.page_bytes) close_page(false, false);
    if (!orders.empty()) orders += ',';
    orders += text;
  }
  close_page(true, truncated);
  return pages;
}

// Written as text (members in DumpJson's sorted order): one is built for
// every event the notifier reads, and building the tree first was about half
// the cost of handling an event.
std::string UpdateMessage(const domain::Event& event, const domain::Order* before, const domain::Order& after,
                          UpdateView view) {
  using codec::json_text::AppendNumber;
  using codec::json_text::AppendString;
  const std::string* reason = std::visit(
      [](const auto& payload) -> const std::string* {
        if constexpr (requires { payload.reason.has_value(); }) {
          return payload.reason ? &*payload.reason : nullptr;
        } else if constexpr (requires { payload.reason; }) {
          return &payload.reason;  // a decline always says why
        } else {
          return nullptr;
        }
      },
      event);
  const bool with_order = view.with_order || !before;
  std::string out;
  out.reserve(with_order ? 640 : 320);
  out += "{\"at\":";
  AppendString(out, codec::FormatTimestamp(domain::TimeOf(event)));
  if (!after.courier_id.empty()) {
    out += ",\"courierId\":";
    AppendString(out, after.courier_id);
  }
  out += ",\"event\":";
  AppendString(out, codec::EventName(event));
  if (view.open) out += *view.open ? ",\"open\":true" : ",\"open\":false";
  if (with_order) {
    out += ",\"order\":";
    out += codec::OrderJsonText(after);
  }
  out += ",\"orderId\":";
  AppendString(out, domain::OrderIdOf(event));
  // Every update says where the order's money stands after the event, so a view that shows the
  // payment (customer timeline, staff board) needs no other source, whichever event changed it.
  out += ",\"payment\":";
  codec::json_text::AppendPayment(out, after.payment);
  out += ",\"previousStatus\":";
  if (before) {
    AppendString(out, domain::ToString(before->status));
  } else {
    out += "null";
  }
  if (reason) {
    out += ",\"reason\":";
    AppendString(out, *reason);
  }
  out += ",\"status\":";
  AppendString(out, domain::ToString(after.status));
  out += ",\"type\":\"update\",\"version\":";
  AppendNumber(out, domain::VersionOf(event));
  out += '}';
  return out;
}

std::string ResultMessage(std::string_view request_id, int status, const Json& body) {
  return codec::DumpJson(Json{{"type", "result"}, {"requestId", request_id}, {"status", status}, {"body", body}});
}

std::string ErrorMessage(std::string_view code, std::string_view text, std::string_view request_id) {
  Json message{{"type", "error"}, {"code", code}, {"message", text}};
  if (!request_id.empty()) message["requestId"] = request_id;
  return codec::DumpJson(message);
}

std::string TopicMessage(std::string_view event_name, std::string_view event_id, const Json& payload) {
  Json message = Json::object();
  message.emplace("type", "message");
  message.emplace("topic", event_name);
  message.emplace("id", event_id);
  message.emplace("payload", payload);
  return codec::DumpJson(message);
}

std::string PongMessage() { return R"({"type":"pong"})"; }

std::string LookupUnavailableAnswer() { return R"({"error":"Order lookup unavailable; retry shortly"})"; }

std::string LookupAnswer(const domain::Order* order) {
  if (!order) return R"({"error":"Order not found"})";
  return codec::DumpJson(Json{{"orderId", order->order_id}, {"status", domain::ToString(order->status)}});
}

}  // namespace orders::notifier

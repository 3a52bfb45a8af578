#include <orders/codec/event_codec.hpp>

#include <orders/codec/trace_context.hpp>

#include <algorithm>
#include <iterator>

#include <orders/codec/flat_json.hpp>
#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/domain/validation.hpp>

#include <orders/codec/json_text.hpp>

namespace orders::codec {
namespace {

constexpr std::string_view kIdempotencyHeader = "orders_idempotency_key";
constexpr std::string_view kRequestHashHeader = "orders_request_hash";
constexpr std::size_t kMaxEventIdBytes = 128;
constexpr std::size_t kMaxSourceBytes = 256;
constexpr std::size_t kMaxIdempotencyKeyBytes = 255;
constexpr std::size_t kMaxRequestHashBytes = 128;

// 1..max_bytes characters from '!' to '~'.
bool IsVisibleAscii(std::string_view text, std::size_t max_bytes) {
  return !text.empty() && text.size() <= max_bytes &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '!' && c <= '~'; });
}

// Objects are filled member by member: nlohmann::json built from an
// initializer list copies every member once more, on every command.
Json PayloadOf(const domain::OrderPlaced& placed) {
  Json json = Json::object();
  json.emplace("orderId", placed.order_id);
  json.emplace("version", placed.version);
  json.emplace("at", FormatTimestamp(placed.at));
  json.emplace("customerId", placed.customer_id);
  json.emplace("items", LineItemsToJson(placed.items));
  json.emplace("currency", placed.currency);
  json.emplace("totalCents", placed.total_cents);
  return json;
}

Json PayloadOf(const domain::StatusChanged& changed) {
  Json json = Json::object();
  json.emplace("orderId", changed.order_id);
  json.emplace("version", changed.version);
  json.emplace("at", FormatTimestamp(changed.at));
  json.emplace("from", domain::ToString(changed.from));
  json.emplace("to", domain::ToString(changed.to));
  if (changed.reason) json.emplace("reason", *changed.reason);
  return json;
}

Json PayloadOf(const domain::CourierAssigned& assigned) {
  Json json = Json::object();
  json.emplace("orderId", assigned.order_id);
  json.emplace("version", assigned.version);
  json.emplace("at", FormatTimestamp(assigned.at));
  json.emplace("courierId", assigned.courier_id);
  json.emplace("by", domain::ToString(assigned.by));
  return json;
}

// Unassigned and declined share their shape: a courier and an optional reason.
template <typename CourierEvent>
Json CourierReasonPayload(const CourierEvent& event) {
  Json json = Json::object();
  json.emplace("orderId", event.order_id);
  json.emplace("version", event.version);
  json.emplace("at", FormatTimestamp(event.at));
  json.emplace("courierId", event.courier_id);
  if (event.reason) json.emplace("reason", *event.reason);
  return json;
}

Json PayloadOf(const domain::CourierUnassigned& unassigned) { return CourierReasonPayload(unassigned); }
Json PayloadOf(const domain::DeliveryDeclined& declined) { return CourierReasonPayload(declined); }

Json PayloadOf(const domain::PaymentAuthorized& authorized) {
  Json json = Json::object();
  json.emplace("orderId", authorized.order_id);
  json.emplace("version", authorized.version);
  json.emplace("at", FormatTimestamp(authorized.at));
  json.emplace("paymentId", authorized.payment_id);
  json.emplace("amountCents", authorized.amount_cents);
  return json;
}

Json PayloadOf(const domain::PaymentDeclined& declined) {
  Json json = Json::object();
  json.emplace("orderId", declined.order_id);
  json.emplace("version", declined.version);
  json.emplace("at", FormatTimestamp(declined.at));
  json.emplace("reason", declined.reason);
  return json;
}

Json PayloadOf(const domain::PaymentRefunded& refunded) {
  Json json = Json::object();
  json.emplace("orderId", refunded.order_id);
  json.emplace("version", refunded.version);
  json.emplace("at", FormatTimestamp(refunded.at));
  json.emplace("paymentId", refunded.payment_id);
  json.emplace("amountCents", refunded.amount_cents);
  return json;
}

struct Common {
  std::string order_id;
  std::int64_t version = 0;
  domain::Timestamp at{};
};

// The readers below are templates over FieldReader (a JSON tree) and
// FlatReader (the writers' own flat text, flat_json.hpp): one set of rules.
template <typename Reader>
Common ReadCommon(Reader& reader) {
  Common common;
  common.order_id = reader.String("orderId", true).value_or("");
  if (!domain::IsValidOrderId(common.order_id)) reader.errors().push_back({"orderId", "must be a UUID"});
  common.version = reader.EventVersion();
  common.at = reader.EventTime();
  return common;
}

std::vector<domain::LineItem> ReadItems(FieldReader& reader) {
  if (const Json* items = reader.Array("items", true)) return ReadLineItems(reader, *items, true);
  return {};
}

std::vector<domain::LineItem> ReadItems(FlatReader& reader) { return reader.LineItems("items"); }

template <typename Reader>
std::optional<domain::Event> ReadPlaced(Reader& reader) {
  Common common = ReadCommon(reader);
  domain::OrderPlaced placed;
  placed.customer_id = reader.String("customerId", true).value_or("");
  placed.currency = reader.String("currency", true).value_or("");
  placed.total_cents = reader.Integer("totalCents", true).value_or(0);
  placed.items = ReadItems(reader);
  reader.RejectUnknown({"orderId", "version", "at", "customerId", "items", "currency", "totalCents"});
  if (!reader.errors().empty()) return std::nullopt;
  domain::PlaceOrder as_command{common.order_id, placed.customer_id, placed.items, placed.currency};
  if (!domain::Validate(as_command).empty()) {
    reader.errors().push_back({"", "violates the order rules"});
    return std::nullopt;
  }
  if (placed.total_cents != domain::TotalCents(placed.items) || common.version != 1) {
    reader.errors().push_back({"totalCents", "does not match the items"});
    return std::nullopt;
  }
  placed.order_id = std::move(common.order_id);
  placed.version = common.version;
  placed.at = common.at;
  return placed;
}

// The same rule as the commands (domain::Validate): every reader keeps the
// reason byte for byte, or parks the event.
template <typename Reader>
std::optional<std::string> ReadReason(Reader& reader) {
  auto reason = reader.String("reason", false);
  if (reason && (!domain::IsPrintableText(*reason) || domain::CodePointCount(*reason) > domain::kMaxReasonLength)) {
    reader.errors().push_back({"reason", "must be at most 280 characters, none of them control characters"});
  }
  return reason;
}

template <typename Reader>
std::string ReadCourierId(Reader& reader) {
  auto courier_id = reader.String("courierId", true).value_or("");
  if (!domain::IsValidCourierId(courier_id)) reader.errors().push_back({"courierId", "must be a courier id"});
  return courier_id;
}

// Every event after order.placed has version >= 2.
template <typename Reader>
void RequireLaterVersion(Reader& reader, const Common& common) {
  if (common.version < 2) reader.errors().push_back({"version", "must be >= 2"});
}

template <typename Reader>
std::optional<domain::Event> ReadStatusChanged(Reader& reader) {
  Common common = ReadCommon(reader);
  auto from = domain::ParseStatus(reader.String("from", true).value_or(""));
  auto to = domain::ParseStatus(reader.String("to", true).value_or(""));
  auto reason = ReadReason(reader);
  reader.RejectUnknown({"orderId", "version", "at", "from", "to", "reason"});
  if (!from || !to) reader.errors().push_back({"from/to", "must be statuses"});
  if (!reader.errors().empty()) return std::nullopt;
  return domain::StatusChanged{std::move(common.order_id), common.version, common.at, *from, *to, std::move(reason)};
}

template <typename Reader>
std::optional<domain::Event> ReadCourierAssigned(Reader& reader) {
  Common common = ReadCommon(reader);
  RequireLaterVersion(reader, common);
  auto courier_id = ReadCourierId(reader);
  auto by = domain::ParseAssignedBy(reader.String("by", true).value_or(""));
  reader.RejectUnknown({"orderId", "version", "at", "courierId", "by"});
  if (!by) reader.errors().push_back({"by", "must be courier, staff or service"});
  if (!reader.errors().empty()) return std::nullopt;
  return domain::CourierAssigned{std::move(common.order_id), common.version, common.at, std::move(courier_id), *by};
}

template <typename CourierEvent, typename Reader>
std::optional<domain::Event> ReadCourierReason(Reader& reader) {
  Common common = ReadCommon(reader);
  RequireLaterVersion(reader, common);
  auto courier_id = ReadCourierId(reader);
  auto reason = ReadReason(reader);
  reader.RejectUnknown({"orderId", "version", "at", "courierId", "reason"});
  if (!reader.errors().empty()) return std::nullopt;
  return CourierEvent{std::move(common.order_id), common.version, common.at, std::move(courier_id), std::move(reason)};
}

template <typename Reader>
std::string ReadPaymentId(Reader& reader) {
  auto payment_id = reader.String("paymentId", true).value_or("");
  if (!IsVisibleAscii(payment_id, kMaxPaymentIdBytes)) {
    reader.errors().push_back({"paymentId", "must be 1-128 visible ASCII characters"});
  }
  return payment_id;
}

template <typename Reader>
std::int64_t ReadAmount(Reader& reader) {
  const auto amount = reader.Integer("amountCents", true).value_or(0);
  if (amount < 1) reader.errors().push_back({"amountCents", "must be >= 1"});
  return amount;
}

// Authorized and refunded share their shape: a payment id and an amount.
template <typename PaymentEvent, typename Reader>
std::optional<domain::Event> ReadPaymentAmount(Reader& reader) {
  Common common = ReadCommon(reader);
  RequireLaterVersion(reader, common);
  auto payment_id = ReadPaymentId(reader);
  const auto amount = ReadAmount(reader);
  reader.RejectUnknown({"orderId", "version", "at", "paymentId", "amountCents"});
  if (!reader.errors().empty()) return std::nullopt;
  return PaymentEvent{std::move(common.order_id), common.version, common.at, std::move(payment_id), amount};
}

template <typename Reader>
std::optional<domain::Event> ReadPaymentDeclined(Reader& reader) {
  Common common = ReadCommon(reader);
  RequireLaterVersion(reader, common);
  auto reason = ReadReason(reader);
  if (!reason) reader.errors().push_back({"reason", "is required"});
  reader.RejectUnknown({"orderId", "version", "at", "reason"});
  if (!reader.errors().empty()) return std::nullopt;
  return domain::PaymentDeclined{std::move(common.order_id), common.version, common.at, std::move(*reason)};
}

std::string Describe(const std::vector<domain::FieldError>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += "; ";
    text += error.field + " " + error.reason;
  }
  return text;
}

}  // namespace

namespace {

// In the order of domain::Event's alternatives.
constexpr std::string_view kEventTypes[] = {
    kPlacedType,           kStatusChangedType,     kCourierAssignedType, kCourierUnassignedType,
    kDeliveryDeclinedType, kPaymentAuthorizedType, kPaymentDeclinedType, kPaymentRefundedType};
static_assert(std::size(kEventTypes) == std::variant_size_v<domain::Event>);

}  // namespace

std::string_view EventType(const domain::Event& event) { return kEventTypes[event.index()]; }

std::string_view EventName(const domain::Event& event) {
  const std::string_view type = EventType(event);
  return type.substr(0, type.rfind('.'));
}

Json EventPayloadToJson(const domain::Event& event) {
  return std::visit([](const auto& e) { return PayloadOf(e); }, event);
}

namespace {

using json_text::AppendItems;
using json_text::AppendNumber;
using json_text::AppendString;

// The two events of every placement and status change, written straight as
// text (json_text.hpp; byte for byte DumpJson(PayloadOf(...)), keys sorted).
std::string PayloadText(const domain::OrderPlaced& placed) {
  std::string out;
  out.reserve(256 + 80 * placed.items.size());
  out += "{\"at\":";
  AppendString(out, FormatTimestamp(placed.at));
  out += ",\"currency\":";
  AppendString(out, placed.currency);
  out += ",\"customerId\":";
  AppendString(out, placed.customer_id);
  out += ",\"items\":";
  AppendItems(out, placed.items);
  out += ",\"orderId\":";
  AppendString(out, placed.order_id);
  out += ",\"totalCents\":";
  AppendNumber(out, placed.total_cents);
  out += ",\"version\":";
  AppendNumber(out, placed.version);
  out += '}';
  return out;
}

std::string PayloadText(const domain::StatusChanged& changed) {
  std::string out;
  out.reserve(192);
  out += "{\"at\":";
  AppendString(out, FormatTimestamp(changed.at));
  out += ",\"from\":";
  AppendString(out, domain::ToString(changed.from));
  out += ",\"orderId\":";
  AppendString(out, changed.order_id);
  if (changed.reason) {
    out += ",\"reason\":";
    AppendString(out, *changed.reason);
  }
  out += ",\"to\":";
  AppendString(out, domain::ToString(changed.to));
  out += ",\"version\":";
  AppendNumber(out, changed.version);
  out += '}';
  return out;
}

}  // namespace

std::string EventPayloadText(const domain::Event& event) {
  if (const auto* placed = std::get_if<domain::OrderPlaced>(&event)) return PayloadText(*placed);
  if (const auto* changed = std::get_if<domain::StatusChanged>(&event)) return PayloadText(*changed);
  return DumpJson(EventPayloadToJson(event));
}

EventRecord EncodeEvent(const domain::Event& event, const EventMetadata& metadata) {
  EventRecord record;
  record.key = domain::OrderIdOf(event);
  record.value = EventPayloadText(event);
  record.headers = EventHeaders(EventType(event), record.key, domain::TimeOf(event), metadata);
  return record;
}

Headers EventHeaders(std::string_view type, std::string_view subject, domain::Timestamp at,
                     const EventMetadata& metadata) {
  Headers headers = {
      {"ce_specversion", "1.0"},
      {"ce_id", metadata.event_id},
      {"ce_type", std::string(type)},
      {"ce_source", metadata.source},
      {"ce_time", FormatTimestamp(at)},
      {"ce_subject", std::string(subject)},
      {"content-type", "application/json"},
  };
  if (metadata.idempotency_key) headers.emplace_back(kIdempotencyHeader, *metadata.idempotency_key);
  if (metadata.request_hash) headers.emplace_back(kRequestHashHeader, *metadata.request_hash);
  if (metadata.actor) headers.emplace_back(kActorHeader, *metadata.actor);
  if (metadata.trace_parent) headers.emplace_back(kTraceParentHeader, *metadata.trace_parent);
  return headers;
}

const std::string* FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [header_name, value] : headers) {
    if (header_name == name) return &value;
  }
  return nullptr;
}

std::string DecodeMetadata(const Headers& headers, EventMetadata& metadata) {
  // Any client can write to the topic: a header is taken only when it is
  // short, well-formed text, else the whole record is refused (and parked by
  // its reader) instead of reaching a store that cannot hold it.
  // ce_id is required: readers deduplicate and trace by it, and an event without one could not be
  // written back out the way it came in.
  const auto* id = FindHeader(headers, "ce_id");
  if (!id) return "ce_id is required";
  if (!IsVisibleAscii(*id, kMaxEventIdBytes)) return "ce_id is not 1-128 visible ASCII characters";
  metadata.event_id = *id;
  if (const auto* source = FindHeader(headers, "ce_source")) {
    if (source->size() > kMaxSourceBytes || !domain::IsPrintableText(*source)) {
      return "ce_source is not printable text of at most 256 bytes";
    }
    metadata.source = *source;
  }
  if (const auto* idem = FindHeader(headers, kIdempotencyHeader)) {
    if (!IsVisibleAscii(*idem, kMaxIdempotencyKeyBytes)) {
      return "the idempotency key header is not 1-255 visible ASCII characters";
    }
    metadata.idempotency_key = *idem;
  }
  if (const auto* hash = FindHeader(headers, kRequestHashHeader)) {
    if (!IsVisibleAscii(*hash, kMaxRequestHashBytes)) {
      return "the request hash header is not 1-128 visible ASCII characters";
    }
    metadata.request_hash = *hash;
  }
  if (const auto* actor = FindHeader(headers, kActorHeader)) {
    if (!IsVisibleAscii(*actor, kMaxActorBytes)) {
      return "the actor header is not 1-200 visible ASCII characters";
    }
    metadata.actor = *actor;
  }
  if (const auto* trace = FindHeader(headers, kTraceParentHeader); trace && ParseTraceParent(*trace)) {
    metadata.trace_parent = *trace;
  }
  return {};
}

std::optional<std::string> PlacementIdempotencyKey(const Headers& headers) {
  const std::string* type = FindHeader(headers, "ce_type");
  if (!type || *type != kPlacedType) return std::nullopt;
  const std::string* key = FindHeader(headers, kIdempotencyHeader);
  if (!key) return std::nullopt;
  return *key;
}

namespace {

// The payload of a record of `type`, read by `reader`; none when the type is
// unknown or the reader found an error (in reader.errors()).
template <typename Reader>
std::optional<domain::Event> ReadPayload(std::string_view type, Reader& reader) {
  if (type == kPlacedType) return ReadPlaced(reader);
  if (type == kStatusChangedType) return ReadStatusChanged(reader);
  if (type == kCourierAssignedType) return ReadCourierAssigned(reader);
  if (type == kCourierUnassignedType) return ReadCourierReason<domain::CourierUnassigned>(reader);
  if (type == kDeliveryDeclinedType) return ReadCourierReason<domain::DeliveryDeclined>(reader);
  if (type == kPaymentAuthorizedType) return ReadPaymentAmount<domain::PaymentAuthorized>(reader);
  if (type == kPaymentDeclinedType) return ReadPaymentDeclined(reader);
  if (type == kPaymentRefundedType) return ReadPaymentAmount<domain::PaymentRefunded>(reader);
  return std::nullopt;
}

bool IsKnownType(std::string_view type) {
  return std::find(std::begin(kEventTypes), std::end(kEventTypes), type) != std::end(kEventTypes);
}

// The event when `value` is in the writers' flat form and valid; none means
// "read it through the tree", which gives the same event or says why not.
std::optional<domain::Event> ReadFlatPayload(std::string_view type, std::string_view value) {
  if (value.size() > kMaxEventBytes) return std::nullopt;
  const auto object = FlatObject::Parse(value);
  if (!object) return std::nullopt;
  FlatReader reader(*object);
  auto event = ReadPayload(type, reader);
  if (!reader.errors().empty()) return std::nullopt;
  return event;
}

DecodeResult FinishDecoding(std::string_view key, domain::Event event, const Headers& headers) {
  if (domain::OrderIdOf(event) != key) return {std::nullopt, "record key differs from orderId"};
  EventMetadata metadata;
  if (auto error = DecodeMetadata(headers, metadata); !error.empty()) return {std::nullopt, std::move(error)};
  return {DecodedEvent{std::move(event), std::move(metadata)}, {}};
}

}  // namespace

DecodeResult DecodeEventThroughTree(std::string_view key, std::string_view value, const Headers& headers) {
  const std::string* type = FindHeader(headers, "ce_type");
  if (!type) return {std::nullopt, "missing ce_type header"};
  auto json = ParseJson(value, kMaxEventBytes);
  if (!json || !json->is_object()) return {std::nullopt, "payload is not a JSON object"};
  if (!IsKnownType(*type)) return {std::nullopt, "unknown ce_type"};
  FieldReader reader(*json);
  auto event = ReadPayload(*type, reader);
  if (!event) return {std::nullopt, "invalid payload: " + Describe(reader.errors())};
  return FinishDecoding(key, std::move(*event), headers);
}

DecodeResult DecodeEvent(std::string_view key, std::string_view value, const Headers& headers) {
  const std::string* type = FindHeader(headers, "ce_type");
  if (type) {
    if (auto event = ReadFlatPayload(*type, value)) return FinishDecoding(key, std::move(*event), headers);
  }
  return DecodeEventThroughTree(key, value, headers);
}

}  // namespace orders::codec

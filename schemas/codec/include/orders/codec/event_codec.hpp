#pragma once
// Kafka record <-> domain event. The record format is specified in
// schemas/json/envelope.md: key = orderId, value = JSON payload, CloudEvents
// 1.0 binary-mode headers (ce_specversion, ce_id, ce_type, ce_source, ce_time,
// ce_subject, content-type), plus the command's idempotency key when it had one
// and the caller who sent it (orders_actor).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <orders/codec/json_read.hpp>
#include <orders/domain/events.hpp>

namespace orders::codec {

inline constexpr std::string_view kPlacedType = "order.placed.v1";
inline constexpr std::string_view kStatusChangedType = "order.status_changed.v1";
inline constexpr std::string_view kCourierAssignedType = "order.courier_assigned.v1";
inline constexpr std::string_view kCourierUnassignedType = "order.courier_unassigned.v1";
inline constexpr std::string_view kDeliveryDeclinedType = "order.delivery_declined.v1";
inline constexpr std::string_view kPaymentAuthorizedType = "order.payment_authorized.v1";
inline constexpr std::string_view kPaymentDeclinedType = "order.payment_declined.v1";
inline constexpr std::string_view kPaymentRefundedType = "order.payment_refunded.v1";
// A gateway's payment id: 1-128 visible ASCII characters.
inline constexpr std::size_t kMaxPaymentIdBytes = 128;
inline constexpr std::size_t kMaxEventBytes = 256 * 1024;
inline constexpr std::string_view kActorHeader = "orders_actor";
inline constexpr std::size_t kMaxActorBytes = 200;

// Record headers in order, as (name, value); the same type as
// orders::platform::KafkaHeaders so records pass through without copies.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Per-event facts that are not part of the domain event.
struct EventMetadata {
  std::string event_id;                        // ce_id, a UUID unique per event
  std::string source;                          // ce_source, e.g. "/command-service"
  std::optional<std::string> idempotency_key;  // orders_idempotency_key
  std::optional<std::string> request_hash;     // orders_request_hash: hash of the POST body
  // orders_actor: who sent the command, "<role>:<subject>" (e.g. "courier:c-7");
  // absent when the writer had no verified caller (AUTH=off).
  std::optional<std::string> actor;
  // traceparent (W3C Trace Context, trace_context.hpp) of the work that caused
  // the event; a malformed one is dropped on decoding, never a reason to refuse.
  std::optional<std::string> trace_parent;

  friend bool operator==(const EventMetadata&, const EventMetadata&) = default;
};

struct EventRecord {
  std::string key;
  std::string value;
  Headers headers;
};

// The versioned type, e.g. "order.placed.v1" (the ce_type header).
std::string_view EventType(const domain::Event& event);
// The type without its version, e.g. "order.placed" (what clients see as `event`).
std::string_view EventName(const domain::Event& event);
Json EventPayloadToJson(const domain::Event& event);
// DumpJson(EventPayloadToJson(event)), byte for byte; placements and status
// changes (every command's event) are written straight as text.
std::string EventPayloadText(const domain::Event& event);
EventRecord EncodeEvent(const domain::Event& event, const EventMetadata& metadata);

struct DecodedEvent {
  domain::Event event;
  EventMetadata metadata;
};

struct DecodeResult {
  std::optional<DecodedEvent> decoded;
  std::string error;  // why it could not be decoded; empty on success
};

// Decodes a record; the key must equal the payload's orderId. Payloads in
// the form the writers produce are read in place (flat_json.hpp); any other
// goes through DecodeEventThroughTree, so the result is always the same.
DecodeResult DecodeEvent(std::string_view key, std::string_view value, const Headers& headers);
// The reference decoder: the payload is parsed into a JSON tree and read from
// it. What DecodeEvent must agree with (the tests and the fuzzer compare them).
DecodeResult DecodeEventThroughTree(std::string_view key, std::string_view value, const Headers& headers);

const std::string* FindHeader(const Headers& headers, std::string_view name);
// The idempotency key of a placement's record, read from its headers alone
// (what DecodeEvent would put in metadata.idempotency_key); none for other events.
std::optional<std::string> PlacementIdempotencyKey(const Headers& headers);

// The record headers of an event of `type` about `subject` (the record key),
// shared by every stream's encoder (inventory_codec.hpp too).
Headers EventHeaders(std::string_view type, std::string_view subject, domain::Timestamp at,
                     const EventMetadata& metadata);
// Reads and checks the metadata headers (ce_id required, each header short
// well-formed text); why the record is refused, or empty.
std::string DecodeMetadata(const Headers& headers, EventMetadata& metadata);

}  // namespace orders::codec

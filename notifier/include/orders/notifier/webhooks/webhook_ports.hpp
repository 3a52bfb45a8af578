#pragma once
// Webhooks: what the dispatcher, the registration API and the delivery
// client agree on. Registrations and delivery progress live in PostgreSQL
// (they must survive a restart and the loss of a machine), behind two ports
// with in-memory fakes for tests:
//   EndpointRegistry  the registered endpoints (with their signing secrets);
//   DeliveryLedger    where each partition's dispatch stands, and every
//                     delivery that did not succeed at its first attempt
//                     (retried from here, then listed as failed).
// WebhookSender posts one signed CloudEvent to one URL (Standard Webhooks).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orders::notifier::webhooks {

using WallClock = std::chrono::system_clock;

struct Endpoint {
  std::string id;                   // "ep_<uuid>", chosen by the registry
  std::string url;                  // validated http(s) URL
  std::vector<std::string> events;  // patterns (orders::codec::IsEventPattern)
  std::string description;
  std::string secret;  // "whsec_<base64 of 32 random bytes>": returned once, by Create
  WallClock::time_point created_at{};
  // Since when every attempt failed (nullopt while the endpoint is healthy);
  // past the configured period the endpoint is disabled.
  std::optional<WallClock::time_point> failing_since;
  bool disabled = false;
  std::string disabled_reason;  // shown by GET, e.g. "failing since 2026-12-05T01:00:00Z"
};

enum class DeliveryStatus { kPending, kDelivered, kFailed };

// One event for one endpoint, kept once its first attempt did not succeed
// (or when the endpoint was too far behind to try it at once).
struct Delivery {
  std::string endpoint_id;
  std::string event_id;    // ce_id: the webhook-id header, the same on every retry
  std::string event_type;  // unversioned, e.g. "order.status_changed"
  std::string subject;     // the record key: orderId or productId (ordering is per subject)
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string body;          // the structured CloudEvent, exactly what is posted
  std::string trace_parent;  // the event's W3C traceparent Kafka header ("" when it had none)
  WallClock::time_point event_time{};
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;
  WallClock::time_point next_attempt_at{};
  int last_http_status = 0;  // 0: no HTTP answer
  std::string last_error;    // short and secret-free, e.g. "timeout", "connection refused", "HTTP 500"
  WallClock::time_point updated_at{};
};

// An endpoint parked on a partition: every event of (topic, partition) from `from_offset` on that the
// endpoint wants waits in Kafka, not as rows of the ledger. An endpoint that backs off is parked
// instead of having each event it is sent copied into the ledger; once the park is due, a catch-up
// reader reads the partition again from `from_offset` for that endpoint alone. The partition's own
// resume offset may pass the events a park covers.
struct Park {
  std::string endpoint_id;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t from_offset = 0;
  int attempts = 0;  // attempts made at the first waiting event (the retry schedule's step)
  WallClock::time_point next_attempt_at{};
  // Not empty once the park is failing (its retries used up, or the endpoint disabled): its next
  // round lists what it covers as failed, with this as the error.
  std::string fail_reason;
  // The ownership of its partition that wrote it (see DeliveryLedger::ClaimParks).
  std::uint64_t ownership = 0;
};

// The parks of some partitions, taken over by a new ownership of those partitions.
struct ParkClaim {
  std::uint64_t ownership = 0;  // greater than any claimed before, by any instance sharing the store
  std::vector<Park> parks;      // each now carrying `ownership`
};

struct Page {
  std::vector<Delivery> items;
  std::optional<std::string> next_cursor;
};

class EndpointRegistry {
 public:
  virtual ~EndpointRegistry() = default;
  // Stores a new endpoint (id, secret and created_at filled in) or returns
  // nullopt when the configured cap on registrations is reached.
  virtual std::optional<Endpoint> Create(Endpoint endpoint) = 0;
  virtual std::vector<Endpoint> List() = 0;  // every endpoint, secrets included (callers strip them)
  virtual std::optional<Endpoint> Get(const std::string& id) = 0;
  virtual bool Delete(const std::string& id) = 0;  // also forgets its deliveries
  // Health after an attempt: success clears failing_since; failure sets it
  // when unset. Disable marks the endpoint disabled with a reason.
  virtual void RecordHealth(const std::string& id, bool succeeded, WallClock::time_point at) = 0;
  virtual void Disable(const std::string& id, const std::string& reason) = 0;
};

class DeliveryLedger {
 public:
  virtual ~DeliveryLedger() = default;
  // Where dispatch of (topic, partition) resumes: the first offset not yet
  // resolved for every endpoint (delivered or kept here). nullopt: never dispatched.
  virtual std::optional<std::int64_t> ResumeOffset(const std::string& topic, std::int32_t partition) = 0;
  virtual void SaveResumeOffset(const std::string& topic, std::int32_t partition, std::int64_t offset) = 0;

  // Keeps a delivery (insert, or update when (endpoint_id, event_id) exists).
  virtual void Keep(const Delivery& delivery) = 0;
  // Keeps each in turn, all or none (one transaction where the store has them); a later entry for
  // the same (endpoint_id, event_id) wins.
  virtual void KeepAll(const std::vector<Delivery>& deliveries) {
    for (const auto& delivery : deliveries) Keep(delivery);
  }
  // Pending deliveries due at `now` in the given partitions of `topic`, oldest offset first.
  virtual std::vector<Delivery> Due(const std::string& topic, const std::vector<std::int32_t>& partitions,
                                    WallClock::time_point now, std::size_t limit) = 0;
  // Subjects with a pending delivery for an endpoint in those partitions
  // (later events of such a subject must wait behind it: order per subject).
  virtual std::vector<std::pair<std::string, std::string>> PendingSubjects(
      const std::string& topic, const std::vector<std::int32_t>& partitions) = 0;  // (endpoint_id, subject)
  virtual Page List(const std::string& endpoint_id, std::optional<DeliveryStatus> status,
                    const std::optional<std::string>& cursor, std::size_t limit) = 0;
  // Failed deliveries of the endpoint whose event is at or after `from`
  // become pending again, due now, with their attempts reset. Returns how many.
  virtual std::size_t Replay(const std::string& endpoint_id, WallClock::time_point from) = 0;

  // Parks (see Park), fenced by partition ownership: an instance stalled past its consumer-group
  // session timeout can wake up and write or drop a park of a partition another instance owns by
  // then, and relies on. So each assignment claims its partitions' parks with a new ownership
  // number, and a write carrying an older number changes nothing.
  //
  // ClaimParks: a new ownership number, and the parks of those partitions of `topic`, all stamped
  // with it. SavePark: inserts or replaces the park of (endpoint, topic, partition), only while the
  // endpoint exists and unless the stored one carries a later ownership. DropPark: deletes it only
  // while it carries `ownership`; whether it did. The registry's Delete drops an endpoint's parks too.
  virtual ParkClaim ClaimParks(const std::string& topic, const std::vector<std::int32_t>& partitions) = 0;
  virtual void SavePark(const Park& park) = 0;
  virtual bool DropPark(const std::string& endpoint_id, const std::string& topic, std::int32_t partition,
                        std::uint64_t ownership) = 0;
};

struct PostRequest {
  std::string url;
  std::string message_id;   // webhook-id
  std::string body;         // structured CloudEvent JSON
  std::string secret;       // whsec_…; signs id.timestamp.body at send time
  std::string traceparent;  // W3C traceparent header of this attempt ("" for none)
};

struct PostOutcome {
  bool delivered = false;  // a 2xx answer
  int http_status = 0;     // 0 when no HTTP answer came
  std::string error;       // empty when delivered; short, never contains the secret
  std::chrono::milliseconds took{0};
};

class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  // Blocks at most the configured timeout (connect + send + answer). Never
  // follows redirects (a 3xx is a failure); reads at most a small answer.
  virtual PostOutcome Post(const PostRequest& request) = 0;
};

}  // namespace orders::notifier::webhooks

#pragma once
// The webhook dispatcher's decisions, without threads, sockets or clocks of
// its own: which endpoint gets which record, in what order, what is kept in
// the ledger and when it is retried, where each partition resumes, when an
// endpoint is disabled. The Dispatcher (dispatcher.hpp) feeds it records and
// the time and runs the attempts it hands out; tests drive it directly.
//
// Order: per endpoint, one subject's (record key's) deliveries go strictly in
// log order and one at a time; other subjects go in parallel, up to
// `endpoint_concurrency` attempts per endpoint (see DispatchPolicy). Once a subject has a delivery
// waiting in the ledger (a failed attempt, or a spill), its later events for
// that endpoint are kept in the ledger behind it and leave from there.
//
// Isolation: each endpoint has a bounded queue; when it is full, or while
// the endpoint is backing off after a failure, new events go straight to the
// ledger, so a hanging endpoint holds neither the partition nor other endpoints.
// Reading waits instead of spilling (ReadingWaits) only while no healthy
// endpoint that takes the topic's events has room: the pause then delays no
// endpoint that could work meanwhile, and a burst to busy endpoints stays in
// Kafka rather than making a round trip through the ledger.
// After a failed attempt the endpoint backs off for the first step of the
// schedule: what is queued for it moves to the ledger, due when the back-off
// ends, instead of each waiting for its own timeout.
//
// Parking: while an endpoint backs off, or its queue is full, its next event
// of a partition parks the endpoint there (one durable Park row) instead of
// being written to the ledger: the park covers that event and every later one
// of the partition for the endpoint, reading skips them for it, and the
// partition's resume offset may pass them. When the park is due (and the
// endpoint is not backing off) a catch-up reader re-reads the partition from
// the park's offset for that endpoint alone (TakeCatchUp, CatchUpRecord): the
// events go into the endpoint's queue in log order, under the same per-subject
// rules (a subject waiting in the ledger keeps its later events behind it). A
// failed attempt parks it again where the catch-up stands, due after the next
// schedule step; while the endpoint is failing a round hands out one event (a
// probe) and releases the reader. The park ends once the catch-up reached what
// reading has read and everything it handed out is resolved. After the last
// step of the schedule, or once the endpoint is disabled, a last round lists
// what the park covers as failed (replayable). Park rows carry the partition's
// ownership (numbered by the ledger at Assign, which claims the partition's
// parks): an instance that stalled past its session timeout and ends a round
// afterwards neither drops nor overwrites a park the new owner claimed.
//
// Ledger writes are buffered (write-behind): what the core keeps is written
// by the Dispatcher's ledger writer, a batch per transaction, outside the
// lock (TakeUnwritten / Written / NotWritten). Until its write committed, a
// kept delivery still holds its record's offset open, so the resume offset
// never passes an event whose delivery is neither done nor in the ledger.
//
// Not thread-safe: the Dispatcher calls it under one lock. It calls the
// registry and the ledger (ports), never the sender.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <orders/notifier/webhooks/delivery_policy.hpp>
#include <orders/notifier/webhooks/partition_progress.hpp>
#include <orders/notifier/webhooks/webhook_ports.hpp>
#include <orders/platform/kafka_consumer.hpp>

namespace orders::notifier::webhooks {

class DispatcherMetrics;

struct DispatchPolicy {
  std::vector<std::chrono::milliseconds> retry_schedule;
  std::chrono::milliseconds disable_after{std::chrono::hours(24 * 5)};
  std::size_t queue_per_endpoint = 1000;
  // Attempts in flight per endpoint: at most this, at most a quarter of the
  // workers (so hanging endpoints cannot take them all), and one while the
  // endpoint's last attempt failed (a probe).
  std::size_t endpoint_concurrency = 4;
  std::size_t workers = 16;
  std::size_t due_batch = 500;    // ledger deliveries taken per retry pass
  std::size_t head_scan = 10000;  // waiting deliveries read per partition at assignment
};

// One POST to make: an event's first attempt, or a retry of a kept delivery.
struct Attempt {
  std::uint64_t id = 0;
  PostRequest request;
  Delivery delivery;        // `attempts`: those made before this one
  bool kept = false;        // the delivery is in the ledger (a retry, or a spilled event)
  bool parked = false;      // an event a park covers, handed out by its catch-up
  std::uint64_t round = 0;  // (parked) the catch-up round that handed it out
};

// A catch-up round of a park (see DispatcherCore): read `topic`'s `partition` from `from`.
struct CatchUp {
  std::string endpoint_id;
  std::string topic;
  platform::Partition partition = 0;
  platform::Offset from = 0;
  std::uint64_t round = 0;
};
enum class CatchUpStep {
  kNext,  // taken (or not wanted): hand in the next record
  kWait,  // the endpoint's queue is full: hand the same record in again a little later
  kStop,  // the round is over for the reader (caught up, probe handed out, failed, revoked, dropped)
};

class DispatcherCore {
 public:
  DispatcherCore(EndpointRegistry& registry, DeliveryLedger& ledger, DispatchPolicy policy, UniformRandom random,
                 DispatcherMetrics* metrics = nullptr);

  // Partitions this instance now owns: where each starts (the ledger's resume
  // offset; without one, the partition's end, saved at once so that a later
  // owner starts there too). `end_offset` asks the broker; nullopt if it cannot.
  using EndOffset = std::function<std::optional<platform::Offset>(platform::Partition)>;
  // Subjects already waiting in the ledger are learned too, with the oldest
  // waiting delivery of each (up to `head_scan` per partition), so that their
  // new events neither overtake it nor leave before it is due.
  platform::PartitionOffsets Assign(const std::string& topic, const std::vector<platform::Partition>& partitions,
                                    const EndOffset& end_offset, WallClock::time_point now);
  // Partitions taken away: first attempts still in flight are kept in the
  // ledger (so the next owner neither waits for nor re-sends them to every
  // endpoint), queued work is dropped, and each partition's first unresolved
  // offset is saved for the next owner to resume from.
  void Revoke(const std::string& topic, const std::vector<platform::Partition>& partitions, WallClock::time_point now);
  std::vector<platform::Partition> Owned(const std::string& topic) const;

  void OnRecord(const platform::ConsumedRecord& record, WallClock::time_point now);
  // A log marker (platform/log_marker.hpp) read: no event, but reading's position passes it.
  void OnMarker(const platform::ConsumedRecord& marker);
  // Whether the reader should hold `record` back a moment rather than hand it
  // over now: a healthy endpoint wants it but has `limit` (default: the
  // queue bound) or more queued, and no healthy endpoint that wants any event
  // of the topic's stream (met yet or not) has fewer. Failing, backing-off or
  // disabled endpoints never make reading wait (their events go to the ledger).
  bool ReadingWaits(const platform::ConsumedRecord& record, WallClock::time_point now,
                    std::optional<std::size_t> limit = std::nullopt) const;

  // Re-reads the registry: new endpoints, changed filters, disabled or deleted ones.
  void RefreshEndpoints(WallClock::time_point now);
  // Takes the ledger's due deliveries of owned partitions into the endpoints' retry queues.
  void TakeDue(WallClock::time_point now);

  // The next attempt a worker may make, nullopt when nothing is eligible.
  std::optional<Attempt> NextAttempt();
  // Whether NextAttempt would hand one out now (to wake a worker only when there is work for it).
  bool HasAttempt() const;
  void Finish(const Attempt& finished, const PostOutcome& outcome, WallClock::time_point now);

  // Saves every owned partition's resume offset that moved, and every park whose offset moved.
  void SaveProgress();

  // Parks (see above). A park due now whose round may start, marked as reading, or nullopt.
  std::optional<CatchUp> TakeCatchUp(WallClock::time_point now);
  // The catch-up reader hands in the records of its partition in log order, log markers too (it
  // passes them as it passes events the endpoint does not want).
  CatchUpStep CatchUpRecord(const CatchUp& catch_up, const platform::ConsumedRecord& record, WallClock::time_point now);
  // Nothing more to read for now (the partition's end): whether the round goes on.
  CatchUpStep CatchUpIdle(const CatchUp& catch_up, WallClock::time_point now);
  // The reader could not go on (a Kafka error): the park is due again after a moment.
  void CatchUpFailed(const CatchUp& catch_up, WallClock::time_point now);
  std::size_t ParkCount() const { return parks_.size(); }
  bool Parked(const std::string& endpoint_id, const std::string& topic, platform::Partition partition) const {
    return parks_.count({endpoint_id, topic, partition}) > 0;
  }

  // A delivery to write to the ledger; `resolves`: its record's offset is
  // released once the write committed.
  struct Unwritten {
    Delivery delivery;
    bool resolves = false;
    bool parked = false;  // resolves its offset in the park that covers it, once committed
    // Its partition's ownership when it was kept: a write that commits after the partition was
    // revoked and assigned again resolves nothing of the new ownership (whose reading and parks
    // counted their own deliveries of those offsets).
    std::uint64_t ownership = 0;
  };
  // What waits to be written, oldest first; it counts as unwritten until
  // Written or NotWritten is told about it.
  std::vector<Unwritten> TakeUnwritten();
  void Written(const std::vector<Unwritten>& batch);
  // The write failed: the batch goes back in front, to be written again.
  void NotWritten(std::vector<Unwritten> batch);
  // Writes what waits now, on the caller's thread (revocation, stop, tests).
  void WriteNow();
  std::size_t UnwrittenCount() const { return unwritten_.size(); }

  std::optional<platform::Offset> ResumeOffset(const std::string& topic, platform::Partition partition) const;
  std::size_t InFlight() const { return in_flight_; }
  std::size_t QueuedCount() const;

 private:
  using SubjectKey = std::string;  // topic + '\n' + subject
  struct Queued {
    Delivery delivery;
    bool kept = false;
    bool parked = false;  // handed out by a park's catch-up
    std::uint64_t round = 0;
  };
  struct Lane {
    Endpoint endpoint;
    std::deque<Queued> live;                  // first attempts, bounded by queue_per_endpoint
    std::deque<Queued> retries;               // from the ledger, oldest offset first
    std::map<SubjectKey, int> live_subjects;  // queued live deliveries per subject
    std::set<SubjectKey> busy;                // subjects with an attempt in flight
    std::size_t in_flight = 0;
    bool removed = false;
    WallClock::time_point backoff_until{};
  };
  // A subject of an endpoint with deliveries waiting in the ledger.
  struct Hold {
    platform::Partition partition = 0;
    std::int64_t known = 0;                   // kept by this instance and not yet resolved
    bool unknown_count = false;               // learned from the ledger at assignment: how many is not known
    std::optional<std::int64_t> head_offset;  // the oldest waiting one, when known
    WallClock::time_point not_before{};       // the head's next attempt
  };
  using HoldKey = std::tuple<std::string, std::string, std::string>;  // endpoint id, topic, subject
  using PartitionKey = std::pair<std::string, platform::Partition>;
  using ParkKey = std::tuple<std::string, std::string, platform::Partition>;  // endpoint id, topic, partition
  struct ParkState {
    Park park;                                 // as last saved, but for from_offset: progress.Resume()
    PartitionProgress progress{std::nullopt};  // what the current round handed out, what of it is resolved
    std::uint64_t round = 0;                   // the current (or last) round; 0: none yet (next_round_)
    bool active = false;                       // a round is under way (its reader attached or its probe out)
    bool reading = false;                      // a reader is attached
    // The last round: what the park covers is listed as failed (park.fail_reason, stored with the park,
    // so that the next owner or a restart lists it too instead of probing the endpoint again).
    bool Failing() const { return !park.fail_reason.empty(); }
    platform::Offset next_read = 0;  // the offset the reader hands in next
    // Offsets an attempt of an ended round delivered after its round was over (a few: at most the
    // endpoint's concurrency per round): the next round passes them instead of posting them again.
    std::set<platform::Offset> delivered_late;
    bool dirty = false;  // from_offset moved since saved
  };
  static ParkKey ParkOf(const Delivery& delivery) { return {delivery.endpoint_id, delivery.topic, delivery.partition}; }
  bool TryPark(const Lane& lane, const std::string& topic, platform::Partition partition, platform::Offset offset,
               WallClock::time_point due);
  void ReParkAfterFailure(ParkState& state, Lane& lane, WallClock::time_point now);
  void EndRound(const ParkKey& key, ParkState& state, WallClock::time_point due);
  void DropParkedQueued(Lane& lane, const ParkKey& key);
  void FailParks(const std::string& endpoint_id, const std::string& reason);
  bool Matches(const Lane& lane, std::string_view event_name) const;

  static SubjectKey KeyOf(const Delivery& delivery) { return delivery.topic + '\n' + delivery.subject; }
  static HoldKey HoldOf(const Delivery& delivery) { return {delivery.endpoint_id, delivery.topic, delivery.subject}; }
  bool Wants(const Lane& lane, std::string_view event_name) const;
  bool Healthy(const Lane& lane, WallClock::time_point now) const;
  bool TakesTopic(const Lane& lane, const std::string& topic) const;
  std::size_t ConcurrencyOf(const Lane& lane) const;
  void Resolve(const Delivery& delivery);
  void Keep(Delivery delivery, bool resolves = false, bool parked = false);
  void KeepPending(Delivery delivery, WallClock::time_point due, WallClock::time_point now, bool resolves = false,
                   bool parked = false);
  void KeepBehindHold(Delivery delivery, Hold& hold, WallClock::time_point now, bool resolves = false,
                      bool parked = false);
  void ReleaseOne(const Delivery& delivery);
  void BackOff(Lane& lane, WallClock::time_point now);
  void FailQueued(Lane& lane, const std::string& reason, WallClock::time_point now);
  void DropQueued(Lane& lane);
  void AfterFailure(Lane& lane, WallClock::time_point now);
  void LearnWaitingSubjects(const std::string& topic, const std::vector<platform::Partition>& partitions,
                            WallClock::time_point now);
  void UpdateGauges();
  Attempt Start(Lane& lane, Queued queued);
  struct Pick {
    bool retry = false;  // from `retries`, else from `live`
    std::size_t index = 0;
  };
  // The lane's next eligible delivery, if the lane may start one.
  std::optional<Pick> PickIn(const Lane& lane) const;

  EndpointRegistry& registry_;
  DeliveryLedger& ledger_;
  DispatchPolicy policy_;
  UniformRandom random_;
  DispatcherMetrics* metrics_;

  std::map<std::string, Lane> lanes_;
  // The streams ("order.", "inventory.") met on each topic, to tell which endpoints a pause in
  // reading it could delay.
  std::map<std::string, std::set<std::string>> topic_streams_;
  std::map<HoldKey, Hold> holds_;
  std::int64_t held_ = 0;  // the sum of every hold's `known`
  std::map<PartitionKey, PartitionProgress> partitions_;
  std::map<PartitionKey, platform::Offset> read_next_;  // the offset reading hands over next, when known
  // Owned partitions: which assignment, numbered by the ledger (ClaimParks), unique across instances.
  std::map<PartitionKey, std::uint64_t> ownership_;
  std::map<ParkKey, ParkState> parks_;
  // Round numbers are unique to this core, never per park: a park revoked and assigned again is
  // loaded afresh, and a reader or an attempt of a round from before must not match its new round.
  std::uint64_t next_round_ = 1;
  std::set<std::pair<std::string, std::string>> retry_taken_;  // (endpoint id, event id) queued or in flight
  std::uint64_t next_attempt_id_ = 1;
  std::size_t in_flight_ = 0;
  std::map<std::uint64_t, Delivery> live_in_flight_;  // first attempts in flight, by attempt id
  std::set<std::uint64_t> kept_on_revoke_;            // of those, kept when their partition went
  std::string last_lane_;                             // round robin between endpoints
  std::vector<Unwritten> unwritten_;                  // ledger writes not yet taken by the writer
  // (endpoint id, event id) -> writes not yet committed (taken or not): the
  // ledger's row is older than what the core knows.
  std::map<std::pair<std::string, std::string>, int> uncommitted_;
};

}  // namespace orders::notifier::webhooks

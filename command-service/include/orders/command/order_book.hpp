#pragma once
// The command side's authoritative state: every order's current state, folded
// from the log, and the idempotency keys recorded with the placements.
//
// One writer per order: work for an order runs only when no other work for it
// is running (RunExclusive / Release); other orders proceed in parallel.
// Thread-safe; no I/O.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <orders/codec/event_codec.hpp>
#include <orders/command/exclusive_slots.hpp>
#include <orders/domain/evolve.hpp>

namespace orders::command {

struct IdempotencyRecord {
  std::string order_id;
  std::string request_hash;
  bool in_log = false;            // false: only reserved by a placement not (yet) seen in the log
  domain::Timestamp placed_at{};  // in the log: the placement's time, from which its retention runs
};

class OrderBook : public ExclusiveSlots<domain::Order> {
 public:
  // Most commands that may wait for one order at a time; more get refused.
  static constexpr std::size_t kMaxWaitingPerOrder = 256;

  // Without a dispatch, waiting work runs inline in Release() (the fakes of unit tests).
  OrderBook() : ExclusiveSlots(nullptr, kMaxWaitingPerOrder) {}
  explicit OrderBook(Dispatch dispatch) : ExclusiveSlots(std::move(dispatch), kMaxWaitingPerOrder) {}

  // RunExclusive(order_id, work) / Release(order_id): see exclusive_slots.hpp.

  // In memory, or else (an order that left memory) in the state store, if there is one.
  std::optional<domain::Order> Find(const std::string& order_id) const;
  // In memory only (the state store is not asked).
  std::optional<domain::Order> InMemory(const std::string& order_id) const { return CopyOf(order_id); }
  // The traceparent of the order's latest event that had one: the workflow's
  // steps for the order continue that trace.
  std::optional<std::string> TraceOf(const std::string& order_id) const;

  // Folds an event (with the version guard) and records its idempotency key.
  // An event for an order that left memory is folded onto its stored state,
  // which comes back into memory.
  domain::ApplyOutcome Apply(const domain::Event& event, const codec::EventMetadata& metadata);

  // Told the order id of every event that changed an order, after the book's
  // lock is released, on whichever thread applied it (the log follower or a
  // Kafka delivery callback): it must only take note. Set before any Apply.
  using ApplyListener = std::function<void(const std::string& order_id)>;
  void SetApplyListener(ApplyListener listener) { listener_ = std::move(listener); }

  // Idempotency keys: Reserve() claims a key for a new placement; a key is
  // taken by Apply() of the placement, or given back by Forget(). A key in the
  // log is remembered for `retention` after its placement's time (by `now`),
  // then forgotten: a retry after that places a new order. Replaying an old
  // placement does not bring its key back, so the keys held are bounded by
  // the placements of one retention period, however long the log. Set before
  // any Apply (default 7 days and the system clock).
  using WallClock = std::function<domain::Timestamp()>;
  void SetKeyRetention(std::chrono::milliseconds retention, WallClock now = nullptr);
  std::optional<IdempotencyRecord> FindKey(const std::string& key) const;
  // Returns the existing record when the key is already taken or reserved.
  std::optional<IdempotencyRecord> Reserve(const std::string& key, const IdempotencyRecord& record);
  void Forget(const std::string& key);
  // For a reservation whose placement had an unknown outcome: the key stays
  // bound to `order_id` until the order's uncertainty is cleared, then it is
  // given back unless the placement turned up in the log (Apply).
  void ForgetWhenSettled(const std::string& key, const std::string& order_id);

  // After an append with an unknown outcome the order takes no command until
  // the log has been read past the point where that event could be.
  void MarkUncertain(const std::string& order_id);
  bool IsUncertain(const std::string& order_id) const;
  bool HasUncertain() const;
  // Clears every mark made before `cutoff` (the log follower calls this once
  // it has read past the end offsets it queried at `cutoff`).
  void ClearUncertainBefore(std::chrono::steady_clock::time_point cutoff);

  // With a state store (COMMAND_STATE_DIR): where orders that left memory
  // are found again, decoded by `decode`. Set before any Apply.
  using StoredOrderLookup = std::function<std::optional<domain::Order>(const std::string& order_id)>;
  void SetStoredOrderLookup(StoredOrderLookup lookup) { stored_lookup_ = std::move(lookup); }

  // Start-up from the state store: a stored order's state, as if folded
  // (the apply listener is told, so the workflow re-derives its next step),
  // and a stored key of a placement in the log (dropped when out of retention).
  void Restore(const domain::Order& order);
  void RestoreKey(const std::string& key, const IdempotencyRecord& record);

  // Takes the order out of memory if it is still at `version` (the state the
  // caller stored) and no command runs or waits for it, nor has an unknown outcome.
  enum class Eviction { kEvicted, kChanged, kBusy };
  Eviction Evict(const std::string& order_id, std::int64_t version);

  std::size_t OrderCount() const;
  std::size_t KeyCount() const;

 private:
  domain::Timestamp Now() const;  // the retention's clock
  bool Expired(const IdempotencyRecord& record, domain::Timestamp now) const;
  void ForgetExpiredKeys(domain::Timestamp now);  // with mutex_ held

  ApplyListener listener_;
  StoredOrderLookup stored_lookup_;
  std::unordered_map<std::string, std::string> traces_;  // by order id
  std::unordered_map<std::string, IdempotencyRecord> keys_;
  std::chrono::milliseconds key_retention_{std::chrono::hours(24 * 7)};
  WallClock now_;
  // Keys in the log by placement time, in the order applied: nearly time order (partitions interleave),
  // which is enough to forget each at or soon after its expiry.
  std::deque<std::pair<domain::Timestamp, std::string>> key_expiry_queue_;
  struct Uncertainty {
    std::chrono::steady_clock::time_point since;
    std::vector<std::string> keys;  // reservations to give back when it clears
  };
  std::unordered_map<std::string, Uncertainty> uncertain_;
  std::uint64_t evictions_ = 0;  // Apply reads the store outside the lock: an eviction meanwhile means read again
};

}  // namespace orders::command

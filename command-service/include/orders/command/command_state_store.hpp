#pragma once
// The command side's local state store (port): a snapshot of the folded
// streams (orders, products), the idempotency keys, and for each topic the
// positions ("next offset" per partition) that produced them, so a restart
// loads the live state and replays only the tail of the log.
//
// The log is the source of truth; the store is a cache of a prefix of it.
// Every Write() is atomic: the states, keys and the checkpoint of one batch
// are all there after a crash, or none of them. A reopened store is thus
// always the fold of the log up to its checkpoint (for each stream), and
// replaying from the checkpoint reproduces exactly what was lost. Losing the
// newest batches (no WAL, no fsync) only means a longer tail to replay.
//
// States are opaque bytes here (stored_order_codec.hpp encodes them): the
// store knows streams, keys and offsets, not orders. Adapters: the in-memory
// one (tests) and RocksDB (rocksdb_state_store.hpp). Thread-safe.
//
// Beside the states, each stream has a *resident index*: the ids a restart
// must load (for orders: not finished, or finished recently), kept in the
// same batches as the states, so a restart reads only those and not every
// state ever stored (most are finished orders that only a direct lookup needs).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/platform/result.hpp>

namespace orders::command {

// Which folded streams a batch or a read is about: each has its own states and checkpoint.
enum class StateStream { kOrders, kInventory };

// An Idempotency-Key of a placement that is in the log (reservations are never stored).
struct StoredKey {
  std::string order_id;
  std::string request_hash;
  domain::Timestamp placed_at{};
  friend bool operator==(const StoredKey&, const StoredKey&) = default;
};

// Where the fold of one topic stands: every record before next_offsets[p] in
// partition p is in the store. Written with the states it covers.
struct StateCheckpoint {
  std::string topic;                       // the topic it was folded from (a renamed topic is another log)
  std::vector<std::int64_t> next_offsets;  // by partition; its size is the topic's partition count
  domain::Timestamp written_at{};          // wall clock of the write: the snapshot's age
  friend bool operator==(const StateCheckpoint&, const StateCheckpoint&) = default;
};

// What some records changed, with the positions after them: written as one.
struct StateBatch {
  StateStream stream = StateStream::kOrders;
  std::vector<std::pair<std::string, std::string>> states;  // stream id -> encoded state (last one wins)
  std::vector<std::string> erased_states;                   // stream ids no longer kept
  std::vector<std::pair<std::string, StoredKey>> keys;      // orders only
  // Keys placed before this have expired: all of them are deleted (keys are kept in time order, so this
  // is one range, whatever their number).
  std::optional<domain::Timestamp> erase_keys_placed_before;
  // The resident index: ids a restart loads, each with the time from which the
  // caller may let it go (its last event, for a finished order; nullopt: until
  // it is taken out), and ids taken out (an erased state leaves it too).
  std::vector<std::pair<std::string, std::optional<domain::Timestamp>>> resident;
  std::vector<std::string> not_resident;
  StateCheckpoint checkpoint;
};

class CommandStateStore {
 public:
  virtual ~CommandStateStore() = default;

  // Applies the whole batch atomically (erasures first, then the upserts), or nothing.
  virtual platform::Result<void> Write(const StateBatch& batch) = 0;

  virtual std::optional<StateCheckpoint> Checkpoint(StateStream stream) const = 0;
  virtual std::optional<std::string> State(StateStream stream, const std::string& id) const = 0;

  // Several states at once, in the order asked (nullopt for an id without one).
  virtual std::vector<std::optional<std::string>> States(StateStream stream,
                                                         const std::vector<std::string>& ids) const = 0;

  // Every stored state, in id order (a full scan: tests and tools, not the start-up).
  using StateVisitor = std::function<void(const std::string& id, const std::string& state)>;
  virtual void ForEachState(StateStream stream, const StateVisitor& visit) const = 0;
  // The resident index in id order: what the start-up loads (with States).
  // False when an entry could not be read (a damaged store, not to be trusted).
  using ResidentVisitor = std::function<void(const std::string& id, std::optional<domain::Timestamp> since)>;
  virtual bool ForEachResident(StateStream stream, const ResidentVisitor& visit) const = 0;
  // Every stored key placed at or after `placed_from`, oldest placement first
  // (keys placed at the same time in key order): expired ones are not even read.
  using KeyVisitor = std::function<void(const std::string& key, const StoredKey& record)>;
  virtual void ForEachKey(domain::Timestamp placed_from, const KeyVisitor& visit) const = 0;

  // Makes what was written so far survive a crash of the process (a store
  // may keep recent writes in memory only, see rocksdb_state_store.hpp).
  virtual platform::Result<void> Persist() = 0;

  // Forgets a stream's states and checkpoint (and, for orders, the keys): the
  // store no longer matches the log (another topic, fewer records, other partitions).
  virtual platform::Result<void> Discard(StateStream stream) = 0;
};

}  // namespace orders::command

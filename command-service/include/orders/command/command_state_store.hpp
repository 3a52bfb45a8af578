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
// States are opaque bytes here (stored_state_codec.hpp encodes them): the
// store knows streams, keys and offsets, not orders. Adapters: the in-memory
// one (tests) and RocksDB (rocksdb_state_store.hpp). Thread-safe.

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
  std::vector<std::string> erased_keys;                     // expired keys
  StateCheckpoint checkpoint;
};

class CommandStateStore {
 public:
  virtual ~CommandStateStore() = default;

  // Applies the whole batch atomically (erasures first, then the upserts), or nothing.
  virtual platform::Result<void> Write(const StateBatch& batch) = 0;

  virtual std::optional<StateCheckpoint> Checkpoint(StateStream stream) const = 0;
  virtual std::optional<std::string> State(StateStream stream, const std::string& id) const = 0;
  virtual std::optional<StoredKey> Key(const std::string& key) const = 0;

  // Every stored state / key, in key order; for the start-up load.
  using StateVisitor = std::function<void(const std::string& id, const std::string& state)>;
  virtual void ForEachState(StateStream stream, const StateVisitor& visit) const = 0;
  using KeyVisitor = std::function<void(const std::string& key, const StoredKey& record)>;
  virtual void ForEachKey(const KeyVisitor& visit) const = 0;

  // Makes what was written so far survive a crash of the process (a store
  // may keep recent writes in memory only, see rocksdb_state_store.hpp).
  virtual platform::Result<void> Persist() = 0;

  // Forgets a stream's states and checkpoint (and, for orders, the keys): the
  // store no longer matches the log (another topic, fewer records, other partitions).
  virtual platform::Result<void> Discard(StateStream stream) = 0;
};

}  // namespace orders::command

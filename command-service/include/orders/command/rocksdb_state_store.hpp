#pragma once
// The state store on RocksDB, in one directory (COMMAND_STATE_DIR) per
// command-service instance. One column family, keys by prefix:
//   o/<orderId>   -> order state    p/<productId>   -> stock state
//   r/o/<orderId> -> resident since r/p/<productId> -> resident since (the resident index)
//   k/<placedAt><key> -> StoredKey  c/orders, c/inventory -> StateCheckpoint
// Each StateBatch is one rocksdb::WriteBatch. The start-up reads the resident
// index (a few bytes per live order) and then only those states, with one
// MultiGet; keys are ordered by placement time (8 bytes big-endian), so the
// load seeks past the expired ones and a batch deletes them with one range.
//
// Why no write-ahead log: the log (Kafka) is the source of truth, and a batch
// enters the memtable whole, so every flushed file set is the fold of a
// prefix of the batches. After a crash RocksDB reopens at the last flush: a
// consistent checkpoint, older than the newest, from which the tail is
// replayed. Without the WAL a write costs a memtable insert; Persist() bounds
// how much is lost (and replayed) after a crash, and the destructor flushes,
// so a clean stop loses nothing.
//
// RocksDB's LOCK file keeps a second process (or a second store in this one)
// out of the directory: Open() fails and says so.

#include <memory>
#include <string>

#include <orders/command/command_state_store.hpp>

namespace rocksdb {
class DB;
}

namespace orders::command {

class RocksDbStateStore : public CommandStateStore {
 public:
  // Creates the directory's store if there is none.
  static platform::Result<std::unique_ptr<RocksDbStateStore>> Open(const std::string& directory);
  ~RocksDbStateStore() override;

  platform::Result<void> Write(const StateBatch& batch) override;
  std::optional<StateCheckpoint> Checkpoint(StateStream stream) const override;
  std::optional<std::string> State(StateStream stream, const std::string& id) const override;
  std::vector<std::optional<std::string>> States(StateStream stream,
                                                 const std::vector<std::string>& ids) const override;
  void ForEachState(StateStream stream, const StateVisitor& visit) const override;
  bool ForEachResident(StateStream stream, const ResidentVisitor& visit) const override;
  void ForEachKey(domain::Timestamp placed_from, const KeyVisitor& visit) const override;
  platform::Result<void> Discard(StateStream stream) override;
  // Flushes the memtable to disk (an SST file): the writes so far survive a crash.
  platform::Result<void> Persist() override;

 private:
  explicit RocksDbStateStore(std::unique_ptr<rocksdb::DB> db);
  std::optional<std::string> Get(const std::string& key) const;
  bool AnyKeyPlacedBefore(domain::Timestamp cutoff) const;
  void ForEachWithPrefix(const std::string& prefix,
                         const std::function<void(const std::string&, const std::string&)>& visit) const;

  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace orders::command

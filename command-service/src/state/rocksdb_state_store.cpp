#include <orders/command/rocksdb_state_store.hpp>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "state_record_codec.hpp"

namespace orders::command {
namespace {

constexpr const char* kOrderPrefix = "o/";
constexpr const char* kProductPrefix = "p/";
constexpr const char* kKeyPrefix = "k/";

std::string StatePrefix(StateStream stream) { return stream == StateStream::kOrders ? kOrderPrefix : kProductPrefix; }
std::string CheckpointKey(StateStream stream) { return stream == StateStream::kOrders ? "c/orders" : "c/inventory"; }

// The first key after every key that starts with `prefix` (prefixes here end below 0xff).
std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

rocksdb::WriteOptions Unlogged() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;  // the log is the source of truth: see rocksdb_state_store.hpp
  return options;
}

}  // namespace

platform::Result<std::unique_ptr<RocksDbStateStore>> RocksDbStateStore::Open(const std::string& directory) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // A small memtable: states are small, and it bounds both the memory and what a crash loses.
  options.write_buffer_size = 16 << 20;
  options.max_write_buffer_number = 2;
  options.max_background_jobs = 1;  // two cores shared with the broker; compaction is not urgent
  options.keep_log_file_num = 3;
  rocksdb::DB* raw = nullptr;
  const auto status = rocksdb::DB::Open(options, directory, &raw);
  if (!status.ok()) {
    return platform::Fail("cannot open the state store in " + directory + ": " + status.ToString() +
                          (status.IsIOError() && status.ToString().find("lock") != std::string::npos
                               ? " (is another command-service instance using this COMMAND_STATE_DIR?)"
                               : ""));
  }
  return std::unique_ptr<RocksDbStateStore>(new RocksDbStateStore(std::unique_ptr<rocksdb::DB>(raw)));
}

RocksDbStateStore::RocksDbStateStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

RocksDbStateStore::~RocksDbStateStore() {
  // Without a WAL only flushed data survives; a clean stop keeps everything.
  (void)Persist();
  (void)db_->Close();
}

platform::Result<void> RocksDbStateStore::Persist() {
  const auto status = db_->Flush(rocksdb::FlushOptions());
  if (!status.ok()) return platform::Fail("state store flush failed: " + status.ToString());
  return {};
}

platform::Result<void> RocksDbStateStore::Write(const StateBatch& batch) {
  rocksdb::WriteBatch write;
  const std::string prefix = StatePrefix(batch.stream);
  for (const auto& id : batch.erased_states) write.Delete(prefix + id);
  for (const auto& key : batch.erased_keys) write.Delete(kKeyPrefix + key);
  for (const auto& [id, state] : batch.states) write.Put(prefix + id, state);
  for (const auto& [key, record] : batch.keys) write.Put(kKeyPrefix + key, state::EncodeKey(record));
  write.Put(CheckpointKey(batch.stream), state::EncodeCheckpoint(batch.checkpoint));
  const auto status = db_->Write(Unlogged(), &write);
  if (!status.ok()) return platform::Fail("state store write failed: " + status.ToString());
  return {};
}

std::optional<std::string> RocksDbStateStore::Get(const std::string& key) const {
  std::string value;
  const auto status = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (!status.ok()) return std::nullopt;  // NotFound, or an I/O error: either way nothing to trust
  return value;
}

std::optional<StateCheckpoint> RocksDbStateStore::Checkpoint(StateStream stream) const {
  auto bytes = Get(CheckpointKey(stream));
  if (!bytes) return std::nullopt;
  return state::DecodeCheckpoint(*bytes);  // nullopt when written by another format: the caller discards
}

std::optional<std::string> RocksDbStateStore::State(StateStream stream, const std::string& id) const {
  return Get(StatePrefix(stream) + id);
}

std::optional<StoredKey> RocksDbStateStore::Key(const std::string& key) const {
  auto bytes = Get(kKeyPrefix + key);
  if (!bytes) return std::nullopt;
  return state::DecodeKey(*bytes);
}

void RocksDbStateStore::ForEachWithPrefix(
    const std::string& prefix, const std::function<void(const std::string&, const std::string&)>& visit) const {
  const std::string end = PrefixEnd(prefix);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  options.fill_cache = false;  // a one-off scan at start: keep the block cache for lookups
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    visit(it->key().ToString().substr(prefix.size()), it->value().ToString());
  }
}

void RocksDbStateStore::ForEachState(StateStream stream, const StateVisitor& visit) const {
  ForEachWithPrefix(StatePrefix(stream), visit);
}

void RocksDbStateStore::ForEachKey(const KeyVisitor& visit) const {
  ForEachWithPrefix(kKeyPrefix, [&visit](const std::string& key, const std::string& bytes) {
    if (auto record = state::DecodeKey(bytes)) visit(key, *record);
  });
}

platform::Result<void> RocksDbStateStore::Discard(StateStream stream) {
  rocksdb::WriteBatch write;
  const std::string prefix = StatePrefix(stream);
  write.DeleteRange(prefix, PrefixEnd(prefix));
  if (stream == StateStream::kOrders) write.DeleteRange(kKeyPrefix, PrefixEnd(kKeyPrefix));
  write.Delete(CheckpointKey(stream));
  const auto status = db_->Write(Unlogged(), &write);
  if (!status.ok()) return platform::Fail("state store discard failed: " + status.ToString());
  return Persist();  // a discard must not come back after a crash
}

}  // namespace orders::command

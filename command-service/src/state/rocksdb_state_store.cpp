#include <orders/command/rocksdb_state_store.hpp>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "state_record_codec.hpp"

namespace orders::command {
namespace {

constexpr const char* kOrderPrefix = "o/";
constexpr const char* kProductPrefix = "p/";
constexpr const char* kKeyPrefix = "k/";
constexpr const char* kResidentOrderPrefix = "r/o/";
constexpr const char* kResidentProductPrefix = "r/p/";

std::string StatePrefix(StateStream stream) { return stream == StateStream::kOrders ? kOrderPrefix : kProductPrefix; }
std::string ResidentPrefix(StateStream stream) {
  return stream == StateStream::kOrders ? kResidentOrderPrefix : kResidentProductPrefix;
}
std::string CheckpointKey(StateStream stream) { return stream == StateStream::kOrders ? "c/orders" : "c/inventory"; }

// The first key after every key that starts with `prefix` (prefixes here end below 0xff).
std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// A key's place: its placement time big-endian (sign bit flipped, so earlier sorts first), then its name.
std::string KeyPrefixAt(domain::Timestamp placed_at) {
  const auto bits = static_cast<std::uint64_t>(placed_at.time_since_epoch().count()) ^ (std::uint64_t{1} << 63);
  std::string out(kKeyPrefix);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((bits >> shift) & 0xff));
  return out;
}
constexpr std::size_t kKeyTimeEnd = 2 + 8;  // "k/" and the time: the name follows

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
  // A Bloom filter per table: the book looks up every order it does not hold (each new placement
  // among them), and for an id never stored the filter answers without reading a block.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
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
  const std::string resident = ResidentPrefix(batch.stream);
  for (const auto& id : batch.erased_states) {
    write.Delete(prefix + id);
    write.Delete(resident + id);
  }
  for (const auto& id : batch.not_resident) write.Delete(resident + id);
  if (batch.erase_keys_placed_before && AnyKeyPlacedBefore(*batch.erase_keys_placed_before)) {
    // Only when one has expired: a range tombstone per batch would pile up for nothing.
    write.DeleteRange(kKeyPrefix, KeyPrefixAt(*batch.erase_keys_placed_before));
  }
  for (const auto& [id, state] : batch.states) write.Put(prefix + id, state);
  for (const auto& [id, since] : batch.resident) write.Put(resident + id, state::EncodeSince(since));
  for (const auto& [key, record] : batch.keys) write.Put(KeyPrefixAt(record.placed_at) + key, state::EncodeKey(record));
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

std::vector<std::optional<std::string>> RocksDbStateStore::States(StateStream stream,
                                                                  const std::vector<std::string>& ids) const {
  const std::string prefix = StatePrefix(stream);
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(prefix + id);
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values;
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // the start-up load: keep the block cache for lookups
  const auto statuses = db_->MultiGet(options, slices, &values);
  std::vector<std::optional<std::string>> found(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].ok()) found[i] = std::move(values[i]);
  }
  return found;
}

bool RocksDbStateStore::AnyKeyPlacedBefore(domain::Timestamp cutoff) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek(kKeyPrefix);
  return it->Valid() && it->key().starts_with(kKeyPrefix) && it->key().compare(KeyPrefixAt(cutoff)) < 0;
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

bool RocksDbStateStore::ForEachResident(StateStream stream, const ResidentVisitor& visit) const {
  bool readable = true;
  ForEachWithPrefix(ResidentPrefix(stream), [&](const std::string& id, const std::string& bytes) {
    if (auto since = state::DecodeSince(bytes)) {
      visit(id, *since);
    } else {
      readable = false;
    }
  });
  return readable;
}

void RocksDbStateStore::ForEachKey(domain::Timestamp placed_from, const KeyVisitor& visit) const {
  const std::string end = PrefixEnd(kKeyPrefix);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(KeyPrefixAt(placed_from)); it->Valid(); it->Next()) {
    if (it->key().size() < kKeyTimeEnd) continue;
    if (auto record = state::DecodeKey(it->value().ToStringView())) {
      visit(it->key().ToString().substr(kKeyTimeEnd), *record);
    }
  }
}

platform::Result<void> RocksDbStateStore::Discard(StateStream stream) {
  rocksdb::WriteBatch write;
  const std::string prefix = StatePrefix(stream);
  write.DeleteRange(prefix, PrefixEnd(prefix));
  write.DeleteRange(ResidentPrefix(stream), PrefixEnd(ResidentPrefix(stream)));
  if (stream == StateStream::kOrders) write.DeleteRange(kKeyPrefix, PrefixEnd(kKeyPrefix));
  write.Delete(CheckpointKey(stream));
  const auto status = db_->Write(Unlogged(), &write);
  if (!status.ok()) return platform::Fail("state store discard failed: " + status.ToString());
  return Persist();  // a discard must not come back after a crash
}

}  // namespace orders::command

#pragma once
// Keeps the orders topic's fold in the state store and bounds what stays in
// memory (COMMAND_STATE_DIR set). Runs on the orders LogFollower's thread:
//
//  - Resume(), before the first record: checks the stored checkpoint against
//    the topic (checkpoint_validation.hpp); a bad store is discarded (full
//    replay), a good one loads the live state into the book (the orders of
//    the store's resident index: not finished, or finished within the
//    retention; keys within theirs) and says where each partition's tail starts.
//  - Folded(), for every record read: that order may have changed.
//  - Tick(), after every poll: every `interval` (or once `max_pending` orders
//    changed) writes the changed orders, new keys and the positions read as
//    one batch (each order also in or out of the resident index, and once a
//    minute the expired keys deleted), every `persist_interval` makes them
//    crash-proof; then evicts the finished orders whose retention ran out
//    (they leave the resident index with the next batch).
//
// Also the book's lookup of orders that left memory (a store read, counted).
//
// The book can be ahead of the positions (a command's event is applied on its
// delivery report, before the follower reads it): a stored state may include
// events after the checkpoint. Replaying them is harmless: the version guard
// folds each event once. It is never behind: every record before the
// checkpoint was folded before the state was read for the batch.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <orders/command/command_state_store.hpp>
#include <orders/command/fold_snapshots.hpp>
#include <orders/command/order_book.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/partition_offsets.hpp>

namespace orders::command {

struct SnapshotSettings {
  std::string topic;
  std::chrono::milliseconds order_retention{std::chrono::hours(1)};  // ORDER_RETENTION
  std::chrono::milliseconds key_retention{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds interval{1000};
  std::size_t max_pending = 20'000;
  // How often the written batches are made crash-proof (RocksDB: a memtable flush): a SIGKILL
  // loses at most this much of the checkpoint's progress, and the tail replayed grows by as much.
  std::chrono::milliseconds persist_interval{5000};
  // How often a batch also deletes the keys past key_retention (one range delete, when there are any).
  std::chrono::milliseconds key_sweep_interval{60'000};
};

struct ResumeReport {
  bool resumed = false;
  std::string discard_reason;  // set when a stored checkpoint was refused
  std::size_t orders_loaded = 0;
  std::size_t orders_left_stored = 0;  // indexed, but finished beyond the retention now: they leave the index
  std::size_t keys_loaded = 0;
  std::int64_t records_behind = 0;  // the tail to replay
};

class OrderSnapshots : public FoldSnapshots {
 public:
  using WallClock = std::function<domain::Timestamp()>;
  OrderSnapshots(CommandStateStore& store, OrderBook& book, SnapshotSettings settings,
                 platform::MetricsRegistry& metrics, WallClock now = nullptr);

  // nullopt: read the topic from the beginning. `begin_offsets`: each partition's first offset (none
  // given: nothing was deleted), for a checkpoint whose tail retention has deleted in part.
  // Logs what it loaded, or why the store was not used.
  std::optional<platform::PartitionOffsets> Resume(const platform::PartitionOffsets& end_offsets,
                                                   const platform::PartitionOffsets& begin_offsets = {}) override;
  bool Resumed() const override { return report_.resumed; }
  const ResumeReport& report() const { return report_; }

  void Folded(const std::string& order_id, const std::optional<std::string>& idempotency_key) override;
  void Tick(std::chrono::steady_clock::time_point now, const platform::PartitionOffsets& positions) override;
  // Writes what changed now, whatever the interval, and persists it (the follower's last tick before a stop).
  void Flush(const platform::PartitionOffsets& positions) override;

 private:
  domain::Timestamp Now() const;
  std::optional<platform::PartitionOffsets> Load(const platform::PartitionOffsets& end_offsets,
                                                 const platform::PartitionOffsets& begin_offsets);
  void Write(const platform::PartitionOffsets& positions);
  void EvictExpired();
  void Persist();

  CommandStateStore& store_;
  OrderBook& book_;
  SnapshotSettings settings_;
  WallClock now_;
  ResumeReport report_;
  std::int32_t partition_count_ = 0;
  std::unordered_set<std::string> changed_;
  std::unordered_map<std::string, std::string> new_keys_;  // key -> order id
  std::unordered_set<std::string> leaving_;                // evicted: out of the resident index with the next batch
  domain::Timestamp next_key_sweep_{};
  std::chrono::steady_clock::time_point next_write_{};
  std::chrono::steady_clock::time_point next_persist_{};
  // Finished orders as stored, by last event time: candidates for eviction.
  struct Finished {
    domain::Timestamp last_event;
    std::string order_id;
    std::int64_t version;
  };
  std::deque<Finished> finished_;
  platform::Counter& evicted_;
  platform::Gauge& checkpoint_time_;
  platform::Counter& write_failures_;
  platform::Counter& store_reads_;
};

}  // namespace orders::command

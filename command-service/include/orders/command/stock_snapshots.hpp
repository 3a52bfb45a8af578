#pragma once
// Keeps the inventory topic's fold in the state store (COMMAND_STATE_DIR), as
// OrderSnapshots does for orders, so a restart loads every product's stock and
// replays only the tail of the inventory topic. Runs on the inventory
// LogFollower's thread:
//
//  - Resume(), before the first record: the same checkpoint checks as orders
//    (checkpoint_validation.hpp: another topic, other partitions, a checkpoint
//    beyond the end or before the first offset discard the stream's store and
//    the topic is replayed); a good store loads each product of its resident
//    index into the book and says where each partition's tail starts.
//  - Folded(), for every record read: that product may have changed.
//  - Tick(), after every poll: every `interval` (or once `max_pending`
//    products changed) writes their stocks and the positions read as one
//    batch; every `persist_interval` makes them crash-proof.
//
// Every product is resident: a tracked product stays tracked (there is no
// event that ends it), and the workflow asks for any of them at any time.
// The book may be ahead of the positions (an append is folded at its
// acknowledgement), never behind; the version guard folds a replayed event once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>

#include <orders/command/command_state_store.hpp>
#include <orders/command/fold_snapshots.hpp>
#include <orders/command/stock_book.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

struct StockSnapshotSettings {
  std::string topic;
  std::chrono::milliseconds interval{1000};
  std::size_t max_pending = 20'000;
  std::chrono::milliseconds persist_interval{5000};  // as SnapshotSettings::persist_interval
};

struct StockResumeReport {
  bool resumed = false;
  std::string discard_reason;  // set when a stored checkpoint (or a stored stock) was refused
  std::size_t products_loaded = 0;
  std::int64_t records_behind = 0;  // the tail to replay
};

class StockSnapshots : public FoldSnapshots {
 public:
  using WallClock = std::function<domain::Timestamp()>;
  StockSnapshots(CommandStateStore& store, StockBook& book, StockSnapshotSettings settings,
                 platform::MetricsRegistry& metrics, WallClock now = nullptr);

  std::optional<platform::PartitionOffsets> Resume(const platform::PartitionOffsets& end_offsets,
                                                   const platform::PartitionOffsets& begin_offsets = {}) override;
  bool Resumed() const override { return report_.resumed; }
  const StockResumeReport& report() const { return report_; }

  void Folded(const std::string& product_id, const std::optional<std::string>& idempotency_key) override;
  void Tick(std::chrono::steady_clock::time_point now, const platform::PartitionOffsets& positions) override;
  void Flush(const platform::PartitionOffsets& positions) override;

 private:
  bool Load();  // false: a stored stock cannot be read
  void Discard(const std::string& reason);
  void Write(const platform::PartitionOffsets& positions);
  void Persist();
  domain::Timestamp Now() const;

  CommandStateStore& store_;
  StockBook& book_;
  StockSnapshotSettings settings_;
  WallClock now_;
  StockResumeReport report_;
  std::int32_t partition_count_ = 0;
  std::unordered_set<std::string> changed_;
  std::chrono::steady_clock::time_point next_write_{};
  std::chrono::steady_clock::time_point next_persist_{};
  platform::Gauge& checkpoint_time_;
  platform::Counter& write_failures_;
};

}  // namespace orders::command

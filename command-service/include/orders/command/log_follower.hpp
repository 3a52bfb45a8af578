#pragma once
// Folds a whole topic into a FoldTarget (through platform::LogTail): the
// orders topic into the OrderBook, the inventory topic into the StockBook. At
// start this rebuilds the authoritative state, later it keeps it current and
// settles appends whose outcome was unknown (UncertaintySettler, with markers
// written through `markers`). Ready once caught up with the end offsets seen at start.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <orders/command/fold_snapshots.hpp>
#include <orders/command/fold_target.hpp>
#include <orders/command/log_markers.hpp>
#include <orders/command/order_book.hpp>
#include <orders/command/own_appends.hpp>
#include <orders/command/read_barrier.hpp>
#include <orders/command/uncertainty_settler.hpp>
#include <orders/platform/log_tail.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

class LogFollower {
 public:
  // The orders topic into `book`.
  LogFollower(platform::KafkaSettings settings, std::string topic, OrderBook& book, LogMarkers& markers,
              platform::MetricsRegistry& metrics);
  // Any topic into `target`; `labels` tell its metrics from the orders follower's (e.g. stream="inventory").
  LogFollower(platform::KafkaSettings settings, std::string topic, FoldTarget& target, LogMarkers& markers,
              platform::MetricsRegistry& metrics, const platform::Labels& labels);

  // The fold kept in a state store (COMMAND_STATE_DIR; OrderSnapshots, StockSnapshots): resumed from
  // its checkpoint at start, written through while following, flushed at Stop.
  // Set before Start.
  void UseSnapshots(FoldSnapshots& snapshots) { snapshots_ = &snapshots; }
  // Records noted in `own` were folded at their acknowledgement: read back,
  // they are passed over without decoding. Set before Start.
  void SkipOwnAppends(OwnAppends& own) { own_appends_ = &own; }

  void Start() { tail_.Start(); }
  void Stop();

  bool CaughtUp() const { return tail_.CaughtUp(); }
  std::int32_t PartitionCount() const { return tail_.PartitionCount(); }
  platform::Offset Position(platform::Partition partition) const { return tail_.Position(partition); }

  // True when every record appended before `moment` has been folded; otherwise
  // the follower makes sure of it and then calls the read-through listener.
  bool ReadThrough(ReadBarrier::Clock::time_point moment) { return barrier_.ReadThrough(moment); }
  // Called on the follower's thread each time a newer moment was read through. Set before Start.
  void SetReadThroughListener(std::function<void()> listener) { read_through_listener_ = std::move(listener); }

 private:
  using Offsets = platform::PartitionOffsets;
  void OnRecord(const platform::ConsumedRecord& record);
  std::optional<platform::PartitionOffsets> Resume(const Offsets& end_offsets, const Offsets& begin_offsets);
  void Settle(const Offsets& positions);
  void AdvanceBarrier(platform::KafkaConsumer& consumer, const Offsets& positions);

  // Folds into `target`, or into `owned` when `target` is null.
  LogFollower(platform::KafkaSettings settings, std::string topic, std::unique_ptr<FoldTarget> owned,
              FoldTarget* target, LogMarkers& markers, platform::MetricsRegistry& metrics,
              const platform::Labels& labels);

  std::string topic_;
  std::unique_ptr<FoldTarget> owned_target_;  // the orders adapter, when built from an OrderBook
  FoldTarget& target_;
  platform::Counter& applied_;
  platform::Counter& own_passed_over_;
  platform::Counter& poison_;
  platform::Counter& anomalies_;
  platform::Gauge& rebuild_seconds_;
  platform::Gauge& rebuild_events_;
  UncertaintySettler settler_;
  std::chrono::steady_clock::time_point next_settle_check_{};
  ReadBarrier barrier_;
  std::function<void()> read_through_listener_;
  FoldSnapshots* snapshots_ = nullptr;
  OwnAppends* own_appends_ = nullptr;
  platform::LogTail tail_;  // last: its thread uses the members above
};

}  // namespace orders::command

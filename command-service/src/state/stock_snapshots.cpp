#include <orders/command/stock_snapshots.hpp>
#include <orders/command/wall_clock.hpp>

#include <algorithm>
#include <vector>

#include <orders/command/checkpoint_validation.hpp>
#include <orders/command/stored_stock_codec.hpp>
#include <orders/platform/log.hpp>

namespace orders::command {
namespace {

const platform::Labels kInventory{{"stream", "inventory"}};

}  // namespace

StockSnapshots::StockSnapshots(CommandStateStore& store, StockBook& book, StockSnapshotSettings settings,
                               platform::MetricsRegistry& metrics, WallClock now)
    : store_(store),
      book_(book),
      settings_(std::move(settings)),
      now_(std::move(now)),
      checkpoint_time_(metrics.AddGauge("orders_command_state_checkpoint_timestamp_seconds",
                                        "Wall clock of the last checkpoint written to the state store", kInventory)),
      write_failures_(metrics.AddCounter("orders_command_state_write_failures_total",
                                         "Batches the state store refused (retried with the next tick)", kInventory)) {}

domain::Timestamp StockSnapshots::Now() const { return now_ ? now_() : SystemNow(); }

std::optional<platform::PartitionOffsets> StockSnapshots::Resume(const platform::PartitionOffsets& end_offsets,
                                                                 const platform::PartitionOffsets& begin_offsets) {
  const auto started = std::chrono::steady_clock::now();
  partition_count_ = static_cast<std::int32_t>(end_offsets.size());
  report_ = {};
  const auto verdict =
      ValidateCheckpoint(store_.Checkpoint(StateStream::kInventory), settings_.topic, end_offsets, begin_offsets);
  if (!verdict.resume) {
    // Also without a checkpoint: states without one are not a prefix of anything.
    Discard(verdict.discard_reason);
    return std::nullopt;
  }
  if (!Load()) {
    Discard("a product's stock in the store cannot be read");
    return std::nullopt;
  }
  report_.resumed = true;
  report_.records_behind = verdict.records_behind;
  platform::LogInfo(
      "inventory state loaded from the state store; replaying the tail",
      {{"topic", settings_.topic},
       {"productsLoaded", report_.products_loaded},
       {"recordsBehind", report_.records_behind},
       {"loadSeconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
  return verdict.start;
}

bool StockSnapshots::Load() {
  std::vector<std::string> ids;
  if (!store_.ForEachResident(
          StateStream::kInventory,
          [&](const std::string& product_id, std::optional<domain::Timestamp>) { ids.push_back(product_id); })) {
    return false;
  }
  // Decoded whole first: a store with one unreadable stock (another release's, damaged) is not used at all.
  std::vector<domain::Stock> stocks;
  stocks.reserve(ids.size());
  constexpr std::size_t kChunk = 4096;  // bounds the undecoded bytes held at once
  for (std::size_t from = 0; from < ids.size(); from += kChunk) {
    const std::vector<std::string> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(from),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), from + kChunk)));
    const auto states = store_.States(StateStream::kInventory, chunk);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      auto stock = states[i] ? DecodeStoredStock(*states[i]) : std::nullopt;
      // Also an indexed product without a state: the index and the states disagree.
      if (!stock || stock->product_id != chunk[i]) return false;
      stocks.push_back(std::move(*stock));
    }
  }
  for (auto& stock : stocks) book_.Restore(std::move(stock));
  report_.products_loaded = stocks.size();
  return true;
}

void StockSnapshots::Discard(const std::string& reason) {
  report_ = {};
  report_.discard_reason = reason;
  if (auto discarded = store_.Discard(StateStream::kInventory); !discarded) {
    platform::LogWarn("could not clear the inventory part of the state store", {{"error", discarded.error().message}});
  }
  if (reason.empty()) {
    platform::LogInfo("no usable state store checkpoint: replaying the inventory topic from the beginning",
                      {{"topic", settings_.topic}, {"reason", "empty store"}});
  } else {
    // As for orders: a refused store is worth a warning (a recreated topic, retention faster than the restarts).
    platform::LogWarn("state store discarded: replaying the inventory topic from the beginning",
                      {{"topic", settings_.topic}, {"reason", reason}});
  }
}

void StockSnapshots::Folded(const std::string& product_id, const std::optional<std::string>&) {
  changed_.insert(product_id);
}

void StockSnapshots::Tick(std::chrono::steady_clock::time_point now, const platform::PartitionOffsets& positions) {
  if (now < next_write_ && changed_.size() < settings_.max_pending) return;
  next_write_ = now + settings_.interval;
  if (partition_count_ > 0) Write(positions);
  if (now >= next_persist_) {
    next_persist_ = now + settings_.persist_interval;
    Persist();
  }
}

void StockSnapshots::Flush(const platform::PartitionOffsets& positions) {
  if (partition_count_ > 0) Write(positions);
  Persist();
}

void StockSnapshots::Persist() {
  if (auto persisted = store_.Persist(); !persisted) {
    write_failures_.Inc();
    platform::LogWarn("state store flush failed", {{"error", persisted.error().message}});
  }
}

void StockSnapshots::Write(const platform::PartitionOffsets& positions) {
  StateBatch batch;
  batch.stream = StateStream::kInventory;
  for (const auto& product_id : changed_) {
    // Not in the book: an event that folded nothing (a reservation of a product never set).
    auto stock = book_.Find(product_id);
    if (!stock) continue;
    batch.states.emplace_back(product_id, EncodeStoredStock(*stock));
    batch.resident.emplace_back(product_id, std::nullopt);
  }
  batch.checkpoint.topic = settings_.topic;
  batch.checkpoint.next_offsets.assign(static_cast<std::size_t>(partition_count_), 0);
  for (const auto& [partition, offset] : positions) {
    if (partition >= 0 && partition < partition_count_) batch.checkpoint.next_offsets[partition] = offset;
  }
  batch.checkpoint.written_at = Now();
  if (auto written = store_.Write(batch); !written) {
    write_failures_.Inc();
    platform::LogWarn("state store write failed; retrying with the next batch", {{"error", written.error().message}});
    return;  // the changes stay pending
  }
  changed_.clear();
  checkpoint_time_.Set(static_cast<double>(batch.checkpoint.written_at.time_since_epoch().count()) / 1000.0);
}

}  // namespace orders::command

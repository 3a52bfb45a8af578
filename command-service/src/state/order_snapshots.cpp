#include <orders/command/order_snapshots.hpp>
#include <orders/command/wall_clock.hpp>

#include <algorithm>
#include <vector>

#include <orders/command/checkpoint_validation.hpp>
#include <orders/command/order_retention.hpp>
#include <orders/command/stored_order_codec.hpp>
#include <orders/platform/log.hpp>

namespace orders::command {
OrderSnapshots::OrderSnapshots(CommandStateStore& store, OrderBook& book, SnapshotSettings settings,
                               platform::MetricsRegistry& metrics, WallClock now)
    : store_(store),
      book_(book),
      settings_(std::move(settings)),
      now_(std::move(now)),
      evicted_(metrics.AddCounter("orders_command_orders_evicted_total",
                                  "Finished orders that left memory after ORDER_RETENTION (kept in the state store)")),
      checkpoint_time_(metrics.AddGauge("orders_command_state_checkpoint_timestamp_seconds",
                                        "Wall clock of the last checkpoint written to the state store")),
      write_failures_(metrics.AddCounter("orders_command_state_write_failures_total",
                                         "Batches the state store refused (retried with the next tick)")),
      store_reads_(metrics.AddCounter("orders_command_state_store_reads_total",
                                      "Reads of orders that had left memory, from the state store")) {
  book_.SetStoredOrderLookup([this](const std::string& order_id) -> std::optional<domain::Order> {
    auto bytes = store_.State(StateStream::kOrders, order_id);
    if (!bytes) return std::nullopt;
    store_reads_.Inc();
    return DecodeStoredOrder(*bytes);
  });
}

domain::Timestamp OrderSnapshots::Now() const { return now_ ? now_() : SystemNow(); }

std::optional<platform::PartitionOffsets> OrderSnapshots::Resume(const platform::PartitionOffsets& end_offsets,
                                                                 const platform::PartitionOffsets& begin_offsets) {
  const auto started = std::chrono::steady_clock::now();
  auto start = Load(end_offsets, begin_offsets);
  if (report_.resumed) {
    platform::LogInfo(
        "command state loaded from the state store; replaying the tail",
        {{"topic", settings_.topic},
         {"ordersLoaded", report_.orders_loaded},
         {"ordersLeftInStore", report_.orders_left_stored},
         {"keysLoaded", report_.keys_loaded},
         {"recordsBehind", report_.records_behind},
         {"loadSeconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
  } else {
    platform::LogInfo("no usable state store checkpoint: replaying the topic from the beginning",
                      {{"topic", settings_.topic},
                       {"reason", report_.discard_reason.empty() ? "empty store" : report_.discard_reason}});
  }
  return start;
}

std::optional<platform::PartitionOffsets> OrderSnapshots::Load(const platform::PartitionOffsets& end_offsets,
                                                               const platform::PartitionOffsets& begin_offsets) {
  partition_count_ = static_cast<std::int32_t>(end_offsets.size());
  report_ = {};
  const auto verdict =
      ValidateCheckpoint(store_.Checkpoint(StateStream::kOrders), settings_.topic, end_offsets, begin_offsets);
  report_.discard_reason = verdict.discard_reason;
  if (!verdict.resume) {
    // Also without a checkpoint: states without one are not a prefix of anything.
    if (auto discarded = store_.Discard(StateStream::kOrders); !discarded) {
      platform::LogWarn("could not clear the state store", {{"error", discarded.error().message}});
    }
    if (!verdict.discard_reason.empty()) {
      platform::LogWarn("state store discarded: replaying the orders topic from the beginning",
                        {{"topic", settings_.topic}, {"reason", verdict.discard_reason}});
    }
    return std::nullopt;
  }
  const auto now = Now();
  // Only the resident index is read whole (a few bytes per live order), then only the states it names:
  // the finished orders evicted long ago, most of the store, are not touched.
  std::vector<std::string> ids;
  bool undecodable = !store_.ForEachResident(
      StateStream::kOrders, [&](const std::string& order_id, std::optional<domain::Timestamp> finished_at) {
        if (finished_at && *finished_at + settings_.order_retention <= now) {
          leaving_.insert(order_id);  // its retention ran out while the service was down
          ++report_.orders_left_stored;
        } else {
          ids.push_back(order_id);
        }
      });
  // Decoded whole first: a store with one unreadable order (another release's, damaged) is not used at all.
  std::vector<domain::Order> live;
  live.reserve(ids.size());
  constexpr std::size_t kChunk = 4096;  // bounds the undecoded bytes held at once
  for (std::size_t from = 0; from < ids.size() && !undecodable; from += kChunk) {
    const std::vector<std::string> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(from),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), from + kChunk)));
    const auto states = store_.States(StateStream::kOrders, chunk);
    for (std::size_t i = 0; i < chunk.size() && !undecodable; ++i) {
      auto order = states[i] ? DecodeStoredOrder(*states[i]) : std::nullopt;
      if (!order || order->order_id != chunk[i]) {
        undecodable = true;  // also an indexed order without a state: the index and states disagree
      } else if (MayLeaveMemory(*order, now, settings_.order_retention)) {
        leaving_.insert(chunk[i]);
        ++report_.orders_left_stored;
      } else {
        live.push_back(std::move(*order));
      }
    }
  }
  if (undecodable) {
    report_ = {};
    leaving_.clear();
    report_.discard_reason = "an order in the store cannot be read";
    platform::LogWarn("state store discarded: replaying the orders topic from the beginning",
                      {{"topic", settings_.topic}, {"reason", report_.discard_reason}});
    if (auto discarded = store_.Discard(StateStream::kOrders); !discarded) {
      platform::LogWarn("could not clear the state store", {{"error", discarded.error().message}});
    }
    return std::nullopt;
  }
  for (const auto& order : live) {
    if (IsFinished(order)) finished_.push_back({order.updated_at, order.order_id, order.version});
    book_.Restore(order);
  }
  report_.orders_loaded = live.size();
  // Oldest first, as the book forgets them; the expired ones are skipped by the store (and deleted by the next batch).
  store_.ForEachKey(now - settings_.key_retention, [&](const std::string& key, const StoredKey& record) {
    if (record.placed_at + settings_.key_retention <= now) return;
    book_.RestoreKey(key, {record.order_id, record.request_hash, true, record.placed_at});
    ++report_.keys_loaded;
  });
  std::sort(finished_.begin(), finished_.end(),
            [](const Finished& a, const Finished& b) { return a.last_event < b.last_event; });
  report_.resumed = true;
  report_.records_behind = verdict.records_behind;
  return verdict.start;
}

void OrderSnapshots::Folded(const std::string& order_id, const std::optional<std::string>& idempotency_key) {
  changed_.insert(order_id);
  if (idempotency_key) new_keys_[*idempotency_key] = order_id;
}

void OrderSnapshots::Tick(std::chrono::steady_clock::time_point now, const platform::PartitionOffsets& positions) {
  if (now < next_write_ && changed_.size() < settings_.max_pending) return;
  next_write_ = now + settings_.interval;
  if (partition_count_ > 0) Write(positions);
  if (now >= next_persist_) {
    next_persist_ = now + settings_.persist_interval;
    Persist();
  }
  EvictExpired();  // orders_command_orders (service.cpp) shows what stays
}

void OrderSnapshots::Flush(const platform::PartitionOffsets& positions) {
  if (partition_count_ > 0) Write(positions);
  Persist();
  EvictExpired();
}

void OrderSnapshots::Persist() {
  if (auto persisted = store_.Persist(); !persisted) {
    write_failures_.Inc();
    platform::LogWarn("state store flush failed", {{"error", persisted.error().message}});
  }
}

void OrderSnapshots::Write(const platform::PartitionOffsets& positions) {
  StateBatch batch;
  batch.stream = StateStream::kOrders;
  std::vector<Finished> finished;
  for (const auto& order_id : changed_) {
    // Not in memory: an event that folded nothing (refused by the guard on an order never placed), or
    // evicted since, which only an order whose stored state is its latest can be.
    auto order = book_.InMemory(order_id);
    if (!order) continue;
    const bool done = IsFinished(*order);
    if (done) finished.push_back({order->updated_at, order_id, order->version});
    batch.states.emplace_back(order_id, EncodeStoredOrder(*order));
    batch.resident.emplace_back(order_id, done ? std::optional(order->updated_at) : std::nullopt);
  }
  // Evicted orders leave the index (an order back in memory since is put back by its upsert above:
  // erasures come first).
  batch.not_resident.assign(leaving_.begin(), leaving_.end());
  const auto now = Now();
  // Expired means placed at or before now - retention (OrderBook's rule), so the cut-off is 1 ms after that.
  if (now >= next_key_sweep_) {
    batch.erase_keys_placed_before = now - settings_.key_retention + std::chrono::milliseconds(1);
  }
  for (const auto& [key, order_id] : new_keys_) {
    // Only keys the book holds as in the log: an old placement replayed is out of retention already.
    auto record = book_.FindKey(key);
    if (record && record->in_log && record->order_id == order_id) {
      batch.keys.emplace_back(key, StoredKey{record->order_id, record->request_hash, record->placed_at});
    }
  }
  batch.checkpoint.topic = settings_.topic;
  batch.checkpoint.next_offsets.assign(static_cast<std::size_t>(partition_count_), 0);
  for (const auto& [partition, offset] : positions) {
    if (partition >= 0 && partition < partition_count_) batch.checkpoint.next_offsets[partition] = offset;
  }
  batch.checkpoint.written_at = now;
  if (auto written = store_.Write(batch); !written) {
    write_failures_.Inc();
    platform::LogWarn("state store write failed; retrying with the next batch", {{"error", written.error().message}});
    return;  // the changes stay pending
  }
  changed_.clear();
  new_keys_.clear();
  leaving_.clear();
  if (batch.erase_keys_placed_before) next_key_sweep_ = now + settings_.key_sweep_interval;
  checkpoint_time_.Set(static_cast<double>(batch.checkpoint.written_at.time_since_epoch().count()) / 1000.0);
  for (auto& entry : finished) finished_.push_back(std::move(entry));
}

void OrderSnapshots::EvictExpired() {
  const auto now = Now();
  // Nearly in time order (partitions interleave): enough to evict each at or soon after its time.
  while (!finished_.empty() && finished_.front().last_event + settings_.order_retention <= now) {
    Finished candidate = std::move(finished_.front());
    finished_.pop_front();
    switch (book_.Evict(candidate.order_id, candidate.version)) {
      case OrderBook::Eviction::kEvicted:
        evicted_.Inc();
        leaving_.insert(candidate.order_id);  // out of the resident index with the next batch
        break;
      case OrderBook::Eviction::kBusy:  // a command runs for it: next time
        finished_.push_back(std::move(candidate));
        return;
      case OrderBook::Eviction::kChanged:  // a newer state was stored and queued, or it is gone already
        break;
    }
  }
}

}  // namespace orders::command

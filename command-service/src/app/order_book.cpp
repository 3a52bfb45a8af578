#include <orders/command/order_book.hpp>
#include <orders/command/wall_clock.hpp>

#include <variant>

namespace orders::command {
domain::Timestamp OrderBook::Now() const { return now_ ? now_() : SystemNow(); }

void OrderBook::SetKeyRetention(std::chrono::milliseconds retention, WallClock now) {
  std::lock_guard lock(mutex_);
  key_retention_ = retention;
  now_ = std::move(now);
}

bool OrderBook::Expired(const IdempotencyRecord& record, domain::Timestamp now) const {
  return record.in_log && record.placed_at + key_retention_ <= now;
}

void OrderBook::ForgetExpiredKeys(domain::Timestamp now) {
  while (!key_expiry_queue_.empty() && key_expiry_queue_.front().first + key_retention_ <= now) {
    auto it = keys_.find(key_expiry_queue_.front().second);
    // The key may have been taken again since (a newer placement, with its own entry further on).
    if (it != keys_.end() && it->second.in_log && it->second.placed_at == key_expiry_queue_.front().first) {
      keys_.erase(it);
    }
    key_expiry_queue_.pop_front();
  }
}

std::optional<domain::Order> OrderBook::Find(const std::string& order_id) const {
  auto found = CopyOf(order_id);
  if (found || !stored_lookup_) return found;
  return stored_lookup_(order_id);  // outside the lock: a read of the store, never of the book
}

void OrderBook::Restore(const domain::Order& order) {
  {
    std::lock_guard lock(mutex_);
    slots_[order.order_id].state = order;
  }
  if (listener_) listener_(order.order_id);
}

void OrderBook::RestoreKey(const std::string& key, const IdempotencyRecord& record) {
  std::lock_guard lock(mutex_);
  if (record.placed_at + key_retention_ <= Now()) return;
  keys_[key] = {record.order_id, record.request_hash, true, record.placed_at};
  key_expiry_queue_.emplace_back(record.placed_at, key);
}

OrderBook::Eviction OrderBook::Evict(const std::string& order_id, std::int64_t version) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(order_id);
  if (it == slots_.end() || !it->second.state || it->second.state->version != version) return Eviction::kChanged;
  if (it->second.busy || uncertain_.count(order_id) != 0) return Eviction::kBusy;
  slots_.erase(it);
  traces_.erase(order_id);
  ++evictions_;
  return Eviction::kEvicted;
}

domain::ApplyOutcome OrderBook::Apply(const domain::Event& event, const codec::EventMetadata& metadata) {
  const std::string& order_id = domain::OrderIdOf(event);
  domain::ApplyOutcome outcome;
  // An order not in memory may have left it: its stored state first, or a replayed (or duplicated)
  // placement would start it again at version 1 over its later history. The store is read outside the
  // lock, so a read from disk holds up no other order. Meanwhile another event may have brought the
  // order in (then that state wins), or it may have come and gone again (an eviction since the read:
  // read again, the store then holds a newer state). Nothing else writes an order to the store that is
  // not in memory, so without an eviction the state read is still the stored one.
  std::optional<domain::Order> stored;
  std::optional<std::uint64_t> read_at;  // evictions_ when the store was read
  std::unique_lock lock(mutex_);
  while (stored_lookup_ && !read_at.has_value()) {
    auto held = slots_.find(order_id);
    if (held != slots_.end() && held->second.state) break;
    const auto evictions = evictions_;
    lock.unlock();
    stored = stored_lookup_(order_id);
    lock.lock();
    if (evictions_ == evictions) read_at = evictions;
  }
  {
    Slot& slot = slots_[order_id];
    if (!slot.state) slot.state = std::move(stored);
    outcome = domain::Apply(slot.state, event);
    if (outcome == domain::ApplyOutcome::kApplied && metadata.trace_parent) traces_[order_id] = *metadata.trace_parent;
    if (outcome == domain::ApplyOutcome::kApplied && metadata.idempotency_key) {
      const auto now = Now();
      const auto* placed = std::get_if<domain::OrderPlaced>(&event);
      const auto placed_at = placed ? placed->at : now;
      if (placed_at + key_retention_ > now) {
        keys_[*metadata.idempotency_key] = {order_id, metadata.request_hash.value_or(""), true, placed_at};
        key_expiry_queue_.emplace_back(placed_at, *metadata.idempotency_key);
      } else if (auto reserved = keys_.find(*metadata.idempotency_key);
                 reserved != keys_.end() && reserved->second.order_id == order_id) {
        keys_.erase(reserved);  // an old placement replayed over its own reservation: nothing to keep
      }
      ForgetExpiredKeys(now);
    }
    if (!slot.state && !slot.busy) slots_.erase(order_id);
  }
  lock.unlock();
  if (outcome == domain::ApplyOutcome::kApplied && listener_) listener_(order_id);
  return outcome;
}

std::optional<std::string> OrderBook::TraceOf(const std::string& order_id) const {
  std::lock_guard lock(mutex_);
  auto it = traces_.find(order_id);
  if (it == traces_.end()) return std::nullopt;
  return it->second;
}

std::optional<IdempotencyRecord> OrderBook::FindKey(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(key);
  if (it == keys_.end() || Expired(it->second, Now())) return std::nullopt;
  return it->second;
}

std::optional<IdempotencyRecord> OrderBook::Reserve(const std::string& key, const IdempotencyRecord& record) {
  std::lock_guard lock(mutex_);
  const auto now = Now();
  ForgetExpiredKeys(now);
  auto [it, inserted] = keys_.try_emplace(key, record);
  if (inserted) return std::nullopt;
  if (Expired(it->second, now)) {
    it->second = record;  // forgotten: this placement is a new one
    return std::nullopt;
  }
  return it->second;
}

void OrderBook::Forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  keys_.erase(key);
}

void OrderBook::ForgetWhenSettled(const std::string& key, const std::string& order_id) {
  std::lock_guard lock(mutex_);
  auto it = uncertain_.find(order_id);
  if (it == uncertain_.end()) {
    // Nothing left to wait for: give it back now unless the log already has it.
    auto reserved = keys_.find(key);
    if (reserved != keys_.end() && !reserved->second.in_log) keys_.erase(reserved);
    return;
  }
  it->second.keys.push_back(key);
}

void OrderBook::MarkUncertain(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  uncertain_[order_id].since = std::chrono::steady_clock::now();
}

bool OrderBook::IsUncertain(const std::string& order_id) const {
  std::lock_guard lock(mutex_);
  return uncertain_.count(order_id) != 0;
}

bool OrderBook::HasUncertain() const {
  std::lock_guard lock(mutex_);
  return !uncertain_.empty();
}

void OrderBook::ClearUncertainBefore(std::chrono::steady_clock::time_point cutoff) {
  std::lock_guard lock(mutex_);
  std::erase_if(uncertain_, [this, cutoff](const auto& entry) {
    if (entry.second.since >= cutoff) return false;
    for (const auto& key : entry.second.keys) {
      auto reserved = keys_.find(key);
      if (reserved != keys_.end() && !reserved->second.in_log && reserved->second.order_id == entry.first) {
        keys_.erase(reserved);
      }
    }
    return true;
  });
}

std::size_t OrderBook::OrderCount() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

std::size_t OrderBook::KeyCount() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

}  // namespace orders::command

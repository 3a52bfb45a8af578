#include <orders/command/order_book.hpp>

#include <variant>

namespace orders::command {
namespace {

domain::Timestamp SystemNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

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

std::optional<domain::Order> OrderBook::Find(const std::string& order_id) const { return CopyOf(order_id); }

domain::ApplyOutcome OrderBook::Apply(const domain::Event& event, const codec::EventMetadata& metadata) {
  const std::string& order_id = domain::OrderIdOf(event);
  domain::ApplyOutcome outcome;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[order_id];
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

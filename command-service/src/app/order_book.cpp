#include <orders/command/order_book.hpp>

namespace orders::command {

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
      keys_[*metadata.idempotency_key] = {order_id, metadata.request_hash.value_or(""), true};
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
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

std::optional<IdempotencyRecord> OrderBook::Reserve(const std::string& key, const IdempotencyRecord& record) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = keys_.try_emplace(key, record);
  if (inserted) return std::nullopt;
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

}  // namespace orders::command

#include <orders/command/stock_book.hpp>

#include <algorithm>
#include <variant>

namespace orders::command {

std::optional<domain::Stock> StockBook::Find(const std::string& product_id) const { return CopyOf(product_id); }

std::optional<domain::Stock> StockBook::Level(const std::string& product_id) const {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(product_id);
  if (it == slots_.end() || !it->second.state) return std::nullopt;
  const domain::Stock& stock = *it->second.state;
  return domain::Stock{stock.product_id, stock.on_hand, stock.reserved, {}, {}, stock.version, stock.updated_at};
}

std::optional<domain::ReservationState> StockBook::ReservationOf(const std::string& product_id,
                                                                 const std::string& order_id) const {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(product_id);
  if (it == slots_.end() || !it->second.state) return std::nullopt;
  return domain::ReservationOf(*it->second.state, order_id);
}

domain::StockDecision StockBook::Decide(const std::string& product_id, const Decider& decide) const {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(product_id);
  static const std::optional<domain::Stock> kUntracked;
  return decide(it == slots_.end() ? kUntracked : it->second.state);
}

domain::ApplyOutcome StockBook::Apply(const domain::StockEvent& event) {
  const std::string& product_id = domain::ProductIdOf(event);
  domain::ApplyOutcome outcome;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[product_id];
    outcome = domain::Apply(slot.state, event);
    if (outcome == domain::ApplyOutcome::kApplied) {
      ForgetOldSettled(product_id, *slot.state, domain::TimeOf(event), false);
    } else if (!slot.state && !slot.busy) {
      slots_.erase(product_id);
    }
  }
  if (outcome == domain::ApplyOutcome::kApplied && listener_) {
    std::visit(
        [this](const auto& applied) {
          if constexpr (requires { applied.order_id; }) listener_(applied.order_id);
        },
        event);
  }
  return outcome;
}

void StockBook::Restore(domain::Stock stock) {
  std::lock_guard lock(mutex_);
  const std::string product_id = stock.product_id;
  auto& state = slots_[product_id].state;
  state = std::move(stock);
  ForgetOldSettled(product_id, *state, state->updated_at, true);
}

void StockBook::ForgetOldSettled(const std::string& product_id, domain::Stock& stock, domain::Timestamp latest,
                                 bool scan_now) {
  // Most products never reach the first scan: no lookup of their mark on each event.
  if (settled_retention_ == kKeepSettledForever || (!scan_now && stock.settled.size() < kSettledBeforeFirstScan)) {
    return;
  }
  auto mark = kept_by_last_scan_.try_emplace(product_id, 0).first;
  if (!scan_now && stock.settled.size() < std::max(kSettledBeforeFirstScan, 2 * mark->second)) return;
  forgotten_->Inc(domain::ForgetSettledBefore(stock, latest - settled_retention_));
  mark->second = stock.settled.size();
}

void StockBook::MarkUncertain(const std::string& product_id) {
  std::lock_guard lock(mutex_);
  uncertain_[product_id] = std::chrono::steady_clock::now();
}

bool StockBook::IsUncertain(const std::string& product_id) const {
  std::lock_guard lock(mutex_);
  return uncertain_.count(product_id) != 0;
}

bool StockBook::HasUncertain() const {
  std::lock_guard lock(mutex_);
  return !uncertain_.empty();
}

void StockBook::ClearUncertainBefore(std::chrono::steady_clock::time_point cutoff) {
  std::lock_guard lock(mutex_);
  std::erase_if(uncertain_, [cutoff](const auto& entry) { return entry.second < cutoff; });
}

std::size_t StockBook::ProductCount() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [id, slot] : slots_) count += slot.state ? 1 : 0;
  return count;
}

Folded StockBook::Fold(const platform::ConsumedRecord& record) {
  auto decoded = codec::DecodeStockEvent(record.key, record.value, record.headers);
  if (!decoded.decoded) return {false, std::move(decoded.error), {}, {}, {}, {}};
  const auto& event = decoded.decoded->event;
  // The product id names what changed (the state store writes it with the next batch).
  return {true, {}, Apply(event), decoded.decoded->metadata.event_id, domain::ProductIdOf(event), {}};
}

}  // namespace orders::command

#pragma once
// Every order the notifier has read from the log, with all of its events (an
// order has at most 7), folded with the shared version guard. Snapshots,
// resumes and live updates all come from here, on one thread, so a snapshot
// and the updates after it never overlap or leave a gap. Bounded: past
// `max_orders` it drops finished orders (delivered or cancelled: they never
// change again) oldest first, and only when none is left the oldest of all,
// so live orders keep getting updates. Not thread-safe.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <orders/domain/evolve.hpp>

namespace orders::notifier {

struct CachedOrder {
  domain::Order order;
  std::vector<domain::Event> events;  // versions 1..order.version, in order
};

class OrderCache {
 public:
  explicit OrderCache(std::size_t max_orders) : max_orders_(max_orders) {}

  // Folds `event`; returns the order after it when it was applied, nullptr
  // for a duplicate, gap or invalid event (`outcome` says which).
  const CachedOrder* Apply(const domain::Event& event, domain::ApplyOutcome& outcome);

  const CachedOrder* Find(const std::string& order_id) const;
  // Newest first by creation time.
  std::vector<const domain::Order*> Newest(std::size_t limit) const;
  std::vector<const domain::Order*> NewestOfCustomer(const std::string& customer_id, std::size_t limit) const;

  std::size_t size() const { return orders_.size(); }
  bool evicted_any() const { return evicted_any_; }

 private:
  using Key = std::pair<domain::Timestamp, std::string>;  // created_at, order_id
  void EvictIfFull();
  void Evict(Key key);

  std::size_t max_orders_;
  bool evicted_any_ = false;
  std::unordered_map<std::string, CachedOrder> orders_;
  std::set<Key, std::greater<>> by_created_;
  std::set<Key> finished_;  // delivered or cancelled, oldest first: evicted first
  std::unordered_map<std::string, std::set<Key, std::greater<>>> by_customer_;
};

}  // namespace orders::notifier

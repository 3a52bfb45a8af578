#pragma once
// Every order the notifier has read from the log, with its latest events,
// folded with the shared version guard. Snapshots, resumes and live updates
// all come from here, on one thread, so a snapshot and the updates after it
// never overlap or leave a gap. The notifier reads the log from its start, so
// the cache also knows every order's courier and who declined it: the open
// deliveries and each courier's orders are indexes kept beside the orders.
//
// Bounded: past `max_orders` it drops finished orders (delivered or
// cancelled: they never change again) oldest first, and only when none is
// left the oldest of all, so live orders keep getting updates. Per order it
// keeps the newest `max_events_per_order` events (accept/release cycles and
// declines make histories of any length); a resume from before them gets a
// fresh snapshot. Not thread-safe.

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
  // The order just before events.front(); nullopt while the placement is kept.
  std::optional<domain::Order> base;
  // The newest events, in order, ending with version order.version.
  std::vector<domain::Event> events;
};

class OrderCache {
 public:
  explicit OrderCache(std::size_t max_orders, std::size_t max_events_per_order = 32)
      : max_orders_(max_orders), max_events_per_order_(max_events_per_order < 1 ? 1 : max_events_per_order) {}

  // Folds `event`; returns the order after it when it was applied, nullptr
  // for a duplicate, gap or invalid event (`outcome` says which). When
  // applied and `before` is given, it receives the order before the event
  // (nullopt for a placement).
  const CachedOrder* Apply(const domain::Event& event, domain::ApplyOutcome& outcome,
                           std::optional<domain::Order>* before = nullptr);

  const CachedOrder* Find(const std::string& order_id) const;
  // Newest first by creation time.
  std::vector<const domain::Order*> Newest(std::size_t limit) const;
  std::vector<const domain::Order*> NewestOfCustomer(const std::string& customer_id, std::size_t limit) const;
  // Orders assigned to `courier_id` now, newest first.
  std::vector<const domain::Order*> NewestOfCourier(const std::string& courier_id, std::size_t limit) const;
  // Open deliveries, oldest first; without those `decliner` declined (when given).
  std::vector<const domain::Order*> OldestOpen(std::size_t limit, const std::string* decliner = nullptr) const;

  std::size_t size() const { return orders_.size(); }
  std::size_t open_count() const { return open_.size(); }
  bool evicted_any() const { return evicted_any_; }

 private:
  using Key = std::pair<domain::Timestamp, std::string>;  // created_at, order_id
  using NewestFirst = std::set<Key, std::greater<>>;
  void EvictIfFull();
  void Evict(Key key);
  void Reindex(const Key& key, const domain::Order* before, const domain::Order& after);
  static void Drop(std::unordered_map<std::string, NewestFirst>& index, const std::string& name, const Key& key);

  std::size_t max_orders_;
  std::size_t max_events_per_order_;
  bool evicted_any_ = false;
  std::unordered_map<std::string, CachedOrder> orders_;
  NewestFirst by_created_;
  std::set<Key> finished_;  // delivered or cancelled, oldest first: evicted first
  std::unordered_map<std::string, NewestFirst> by_customer_;
  std::unordered_map<std::string, NewestFirst> by_courier_;  // the current courier only
  std::set<Key> open_;                                       // open for delivery, oldest first
};

}  // namespace orders::notifier

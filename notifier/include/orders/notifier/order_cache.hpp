#pragma once
// Every order the notifier has read from the log, with its latest events,
// folded with the shared version guard. Snapshots, resumes and live updates
// all come from here, on one thread, so a snapshot and the updates after it
// never overlap or leave a gap. The notifier reads the log from its start, so
// the cache also knows every order's courier and who declined it: the open
// deliveries and each courier's orders are indexes kept beside the orders.
//
// Bounded in bytes: every order is charged what it holds (order_footprint.hpp:
// its strings' and vectors' heap blocks, its kept events, its node in the
// table and its entries in the indexes), and past `max_bytes` the cache drops
// finished orders (delivered or cancelled: they never change again) oldest
// first, and only when none is left the oldest of all, so live orders keep
// getting updates. It never drops the order an event just changed (the hub
// delivers it next). Per order it keeps the newest `max_events_per_order`
// events (accept/release cycles and declines make histories of any length); a
// resume from before them gets a fresh snapshot. A dropped order is the read
// model's to answer for (order_lookup.hpp), and a live one comes back through
// Seed when its next event is read. Not thread-safe.

#include <cstddef>
#include <cstdint>
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
  std::size_t events_heap = 0;  // what the kept events hold beyond their vector's block
  std::size_t charged = 0;      // this order's share of OrderCache::bytes()
};

struct OrderCacheLimits {
  std::size_t max_bytes = 256 * 1024 * 1024;  // NOTIFIER_CACHE_BYTES
  std::size_t max_events_per_order = 32;
};

class OrderCache {
 public:
  explicit OrderCache(OrderCacheLimits limits = {})
      : max_bytes_(limits.max_bytes),
        max_events_per_order_(limits.max_events_per_order < 1 ? 1 : limits.max_events_per_order) {}

  // Folds `event`; returns the order after it when it was applied, nullptr
  // for a duplicate, gap or invalid event (`outcome` says which). When
  // applied and `before` is given, it receives the order before the event
  // (nullopt for a placement).
  const CachedOrder* Apply(const domain::Event& event, domain::ApplyOutcome& outcome,
                           std::optional<domain::Order>* before = nullptr);

  // Holds `order` as the read model gave it, when the cache holds no state
  // of it (a live order it had dropped), so its next events fold onto it. It
  // keeps no events before it: a resume from earlier gets a fresh snapshot.
  const CachedOrder* Seed(domain::Order order);

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
  bool evicted_any() const { return evictions_ > 0; }
  // Changes whenever any order is added, changed or dropped: whatever was
  // read from the cache at one generation still holds while it stays the same.
  std::uint64_t generation() const { return generation_; }
  std::uint64_t evictions() const { return evictions_; }
  // The estimate the budget is kept with: charged_bytes() and the hash
  // tables' bucket arrays (which never shrink, so they follow the most orders held).
  std::size_t bytes() const { return charged_bytes() + table_bytes(); }
  // What the orders and the index names are charged.
  std::size_t charged_bytes() const { return orders_bytes_ + names_bytes_; }
  std::size_t table_bytes() const;
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  using Key = std::pair<domain::Timestamp, std::string>;  // created_at, order_id
  using NewestFirst = std::set<Key, std::greater<>>;
  using NameIndex = std::unordered_map<std::string, NewestFirst>;
  // What `cached` (stored under `order_id`) costs, its index entries included.
  std::size_t ChargeOf(const std::string& order_id, const CachedOrder& cached) const;
  void Recharge(const std::string& order_id, CachedOrder& cached);
  void EvictOverBudget(const Key& keep);
  void Evict(Key key);
  void Reindex(const Key& key, const domain::Order* before, const domain::Order& after);
  static std::size_t NameBytes(const std::string& name);
  void Add(NameIndex& index, const std::string& name, const Key& key);
  void Drop(NameIndex& index, const std::string& name, const Key& key);

  std::size_t max_bytes_;
  std::size_t max_events_per_order_;
  std::uint64_t evictions_ = 0;
  std::uint64_t generation_ = 0;
  std::size_t orders_bytes_ = 0;  // the sum of every CachedOrder::charged
  std::size_t names_bytes_ = 0;   // the customer and courier names keying the indexes
  std::unordered_map<std::string, CachedOrder> orders_;
  NewestFirst by_created_;
  std::set<Key> finished_;  // delivered or cancelled, oldest first: evicted first
  NameIndex by_customer_;
  NameIndex by_courier_;  // the current courier only
  std::set<Key> open_;    // open for delivery, oldest first
};

}  // namespace orders::notifier

#include <orders/notifier/order_cache.hpp>

#include <orders/notifier/order_footprint.hpp>

namespace orders::notifier {

namespace {

// libstdc++'s nodes: a hash node is the next pointer, the value and the cached
// hash; a tree node is colour and three pointers (32 bytes), then the value.
template <class Value>
constexpr std::size_t kHashNodeBytes = HeapBlock(sizeof(void*) + sizeof(Value) + sizeof(std::size_t));
template <class Value>
constexpr std::size_t kTreeNodeBytes = HeapBlock(4 * sizeof(void*) + sizeof(Value));

}  // namespace

const CachedOrder* OrderCache::Apply(const domain::Event& event, domain::ApplyOutcome& outcome,
                                     std::optional<domain::Order>* before) {
  const std::string& order_id = domain::OrderIdOf(event);
  auto it = orders_.find(order_id);
  std::optional<domain::Order> state;
  if (it != orders_.end()) state = it->second.order;
  outcome = domain::Apply(state, event);
  if (outcome != domain::ApplyOutcome::kApplied) return nullptr;
  ++generation_;
  const Key key{state->created_at, order_id};
  if (it == orders_.end()) {
    it = orders_.emplace(order_id, CachedOrder{std::move(*state), std::nullopt, {}}).first;
    by_created_.insert(key);
    Add(by_customer_, it->second.order.customer_id, key);
    Reindex(key, nullptr, it->second.order);
    if (before) before->reset();
  } else {
    std::optional<domain::Order> previous = std::move(it->second.order);
    it->second.order = std::move(*state);
    Reindex(key, &*previous, it->second.order);
    if (before) *before = std::move(previous);
  }
  CachedOrder& cached = it->second;
  auto& events = cached.events;
  // The oldest goes before the newest comes, so the vector never grows past
  // the bound (a push first would double its capacity for good).
  if (events.size() >= max_events_per_order_) {
    domain::Apply(cached.base, events.front());
    cached.events_heap -= HeapBytes(events.front());
    events.erase(events.begin());
  }
  events.push_back(event);
  cached.events_heap += HeapBytes(events.back());
  if (domain::IsTerminal(cached.order.status)) finished_.insert(key);
  Recharge(it->first, cached);
  EvictOverBudget(key);
  return &cached;
}

const CachedOrder* OrderCache::Seed(domain::Order order) {
  if (auto held = orders_.find(order.order_id); held != orders_.end()) return &held->second;
  ++generation_;
  const Key key{order.created_at, order.order_id};
  std::optional<domain::Order> base = order;  // the state before the first event it will keep
  auto it = orders_.emplace(key.second, CachedOrder{std::move(order), std::move(base), {}}).first;
  by_created_.insert(key);
  Add(by_customer_, it->second.order.customer_id, key);
  Reindex(key, nullptr, it->second.order);
  if (domain::IsTerminal(it->second.order.status)) finished_.insert(key);
  Recharge(it->first, it->second);
  EvictOverBudget(key);
  return &it->second;
}

std::size_t OrderCache::ChargeOf(const std::string& order_id, const CachedOrder& cached) const {
  const domain::Order& order = cached.order;
  std::size_t bytes = kHashNodeBytes<std::pair<const std::string, CachedOrder>> + HeapBytes(order_id) +
                      HeapBytes(order) + (cached.base ? HeapBytes(*cached.base) : 0) +
                      HeapBlock(cached.events.capacity() * sizeof(domain::Event)) + cached.events_heap;
  // Every index entry is a tree node holding a copy of the key (created_at, order id).
  std::size_t entries = 2;  // by creation and by customer
  if (domain::IsTerminal(order.status)) ++entries;
  if (domain::IsOpenForDelivery(order)) ++entries;
  if (!order.courier_id.empty()) ++entries;
  return bytes + entries * (kTreeNodeBytes<Key> + HeapBytes(order_id));
}

void OrderCache::Recharge(const std::string& order_id, CachedOrder& cached) {
  orders_bytes_ -= cached.charged;
  cached.charged = ChargeOf(order_id, cached);
  orders_bytes_ += cached.charged;
}

std::size_t OrderCache::table_bytes() const {
  return (orders_.bucket_count() + by_customer_.bucket_count() + by_courier_.bucket_count()) * sizeof(void*);
}

void OrderCache::Reindex(const Key& key, const domain::Order* before, const domain::Order& after) {
  const std::string no_courier;
  const std::string& previous_courier = before ? before->courier_id : no_courier;
  if (previous_courier != after.courier_id) {
    if (!previous_courier.empty()) Drop(by_courier_, previous_courier, key);
    if (!after.courier_id.empty()) Add(by_courier_, after.courier_id, key);
  }
  if (domain::IsOpenForDelivery(after)) {
    open_.insert(key);
  } else {
    open_.erase(key);
  }
}

// A name's entry (its node and its copy of the name) is charged while any order is listed under it.
std::size_t OrderCache::NameBytes(const std::string& name) {
  return kHashNodeBytes<NameIndex::value_type> + HeapBytes(name);
}

void OrderCache::Add(NameIndex& index, const std::string& name, const Key& key) {
  auto [it, inserted] = index.try_emplace(name);
  if (inserted) names_bytes_ += NameBytes(it->first);
  it->second.insert(key);
}

void OrderCache::Drop(NameIndex& index, const std::string& name, const Key& key) {
  auto it = index.find(name);
  if (it == index.end()) return;
  it->second.erase(key);
  if (!it->second.empty()) return;
  names_bytes_ -= NameBytes(it->first);
  index.erase(it);
}

void OrderCache::EvictOverBudget(const Key& keep) {
  while (bytes() > max_bytes_) {
    // Finished orders first, oldest first; then the oldest of all. Never `keep`.
    const Key* victim = nullptr;
    for (auto it = finished_.begin(); it != finished_.end() && !victim; ++it) {
      if (*it != keep) victim = &*it;
    }
    for (auto it = by_created_.rbegin(); it != by_created_.rend() && !victim; ++it) {
      if (*it != keep) victim = &*it;
    }
    if (!victim) return;  // only `keep` is left: it stays, over budget, until the next order
    Evict(*victim);
    ++evictions_;
  }
}

void OrderCache::Evict(Key key) {  // a copy: it may name an element erased below
  ++generation_;
  by_created_.erase(key);
  finished_.erase(key);
  open_.erase(key);
  auto it = orders_.find(key.second);
  if (it == orders_.end()) return;
  Drop(by_customer_, it->second.order.customer_id, key);
  if (!it->second.order.courier_id.empty()) Drop(by_courier_, it->second.order.courier_id, key);
  orders_bytes_ -= it->second.charged;
  orders_.erase(it);
}

const CachedOrder* OrderCache::Find(const std::string& order_id) const {
  auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

namespace {

template <class Keys, class Orders, class Keep>
std::vector<const domain::Order*> Take(const Keys& keys, const Orders& orders, std::size_t limit, Keep keep) {
  std::vector<const domain::Order*> result;
  for (const auto& key : keys) {
    if (result.size() >= limit) break;
    auto it = orders.find(key.second);
    if (it != orders.end() && keep(it->second.order)) result.push_back(&it->second.order);
  }
  return result;
}

constexpr auto kEvery = [](const domain::Order&) { return true; };

}  // namespace

std::vector<const domain::Order*> OrderCache::Newest(std::size_t limit) const {
  return Take(by_created_, orders_, limit, kEvery);
}

std::vector<const domain::Order*> OrderCache::NewestOfCustomer(const std::string& customer_id,
                                                               std::size_t limit) const {
  auto it = by_customer_.find(customer_id);
  if (it == by_customer_.end()) return {};
  return Take(it->second, orders_, limit, kEvery);
}

std::vector<const domain::Order*> OrderCache::NewestOfCourier(const std::string& courier_id, std::size_t limit) const {
  auto it = by_courier_.find(courier_id);
  if (it == by_courier_.end()) return {};
  return Take(it->second, orders_, limit, kEvery);
}

std::vector<const domain::Order*> OrderCache::OldestOpen(std::size_t limit, const std::string* decliner) const {
  return Take(open_, orders_, limit,
              [decliner](const domain::Order& order) { return !decliner || !domain::HasDeclined(order, *decliner); });
}

}  // namespace orders::notifier

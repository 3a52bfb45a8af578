#include <orders/notifier/order_cache.hpp>

namespace orders::notifier {

const CachedOrder* OrderCache::Apply(const domain::Event& event, domain::ApplyOutcome& outcome,
                                     std::optional<domain::Order>* before) {
  const std::string& order_id = domain::OrderIdOf(event);
  auto it = orders_.find(order_id);
  std::optional<domain::Order> state;
  if (it != orders_.end()) state = it->second.order;
  outcome = domain::Apply(state, event);
  if (outcome != domain::ApplyOutcome::kApplied) return nullptr;
  const Key key{state->created_at, order_id};
  if (it == orders_.end()) {
    EvictIfFull();
    it = orders_.emplace(order_id, CachedOrder{std::move(*state), std::nullopt, {}}).first;
    by_created_.insert(key);
    by_customer_[it->second.order.customer_id].insert(key);
    Reindex(key, nullptr, it->second.order);
    if (before) before->reset();
  } else {
    std::optional<domain::Order> previous = std::move(it->second.order);
    it->second.order = std::move(*state);
    Reindex(key, &*previous, it->second.order);
    if (before) *before = std::move(previous);
  }
  auto& events = it->second.events;
  events.push_back(event);
  if (events.size() > max_events_per_order_) {
    domain::Apply(it->second.base, events.front());
    events.erase(events.begin());
  }
  if (domain::IsTerminal(it->second.order.status)) finished_.insert(key);
  return &it->second;
}

void OrderCache::Reindex(const Key& key, const domain::Order* before, const domain::Order& after) {
  const std::string no_courier;
  const std::string& previous_courier = before ? before->courier_id : no_courier;
  if (previous_courier != after.courier_id) {
    if (!previous_courier.empty()) Drop(by_courier_, previous_courier, key);
    if (!after.courier_id.empty()) by_courier_[after.courier_id].insert(key);
  }
  if (domain::IsOpenForDelivery(after)) {
    open_.insert(key);
  } else {
    open_.erase(key);
  }
}

void OrderCache::Drop(std::unordered_map<std::string, NewestFirst>& index, const std::string& name, const Key& key) {
  auto it = index.find(name);
  if (it == index.end()) return;
  it->second.erase(key);
  if (it->second.empty()) index.erase(it);
}

void OrderCache::EvictIfFull() {
  while (orders_.size() >= max_orders_ && !by_created_.empty()) {
    Evict(finished_.empty() ? *by_created_.rbegin() : *finished_.begin());
    evicted_any_ = true;
  }
}

void OrderCache::Evict(Key key) {  // a copy: it may name an element erased below
  by_created_.erase(key);
  finished_.erase(key);
  open_.erase(key);
  auto it = orders_.find(key.second);
  if (it == orders_.end()) return;
  Drop(by_customer_, it->second.order.customer_id, key);
  if (!it->second.order.courier_id.empty()) Drop(by_courier_, it->second.order.courier_id, key);
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

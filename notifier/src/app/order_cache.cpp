#include <orders/notifier/order_cache.hpp>

namespace orders::notifier {

const CachedOrder* OrderCache::Apply(const domain::Event& event, domain::ApplyOutcome& outcome) {
  const std::string& order_id = domain::OrderIdOf(event);
  auto it = orders_.find(order_id);
  std::optional<domain::Order> state;
  if (it != orders_.end()) state = it->second.order;
  outcome = domain::Apply(state, event);
  if (outcome != domain::ApplyOutcome::kApplied) return nullptr;
  if (it == orders_.end()) {
    EvictIfFull();
    it = orders_.emplace(order_id, CachedOrder{*state, {}}).first;
    const Key key{state->created_at, order_id};
    by_created_.insert(key);
    by_customer_[state->customer_id].insert(key);
  } else {
    it->second.order = *state;
  }
  it->second.events.push_back(event);
  if (domain::IsTerminal(state->status)) finished_.insert({state->created_at, order_id});
  return &it->second;
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
  auto it = orders_.find(key.second);
  if (it == orders_.end()) return;
  auto customer = by_customer_.find(it->second.order.customer_id);
  if (customer != by_customer_.end()) {
    customer->second.erase(key);
    if (customer->second.empty()) by_customer_.erase(customer);
  }
  orders_.erase(it);
}

const CachedOrder* OrderCache::Find(const std::string& order_id) const {
  auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

namespace {

template <class Keys, class Orders>
std::vector<const domain::Order*> Take(const Keys& keys, const Orders& orders, std::size_t limit) {
  std::vector<const domain::Order*> result;
  for (const auto& key : keys) {
    if (result.size() >= limit) break;
    auto it = orders.find(key.second);
    if (it != orders.end()) result.push_back(&it->second.order);
  }
  return result;
}

}  // namespace

std::vector<const domain::Order*> OrderCache::Newest(std::size_t limit) const {
  return Take(by_created_, orders_, limit);
}

std::vector<const domain::Order*> OrderCache::NewestOfCustomer(const std::string& customer_id,
                                                               std::size_t limit) const {
  auto it = by_customer_.find(customer_id);
  if (it == by_customer_.end()) return {};
  return Take(it->second, orders_, limit);
}

}  // namespace orders::notifier

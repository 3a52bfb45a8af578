#include <orders/projection/known_orders.hpp>

#include <set>
#include <string_view>
#include <unordered_set>

#include <orders/domain/status.hpp>

namespace orders::projection {

std::vector<std::string> KnownOrders::Split(const DecodedBatch& batch, bool placements_are_new,
                                            std::map<std::string, domain::Order>& stored) const {
  std::set<std::string> to_load;
  std::unordered_set<std::string_view> seen;  // hashed: a batch holds tens of thousands of order ids
  seen.reserve(batch.events.size());
  for (const auto& record : batch.events) {
    const std::string& order_id = domain::OrderIdOf(record.decoded.event);
    if (!seen.insert(order_id).second) continue;  // only an order's first event in the batch decides
    if (const auto it = orders_.find(order_id); it != orders_.end()) {
      domain::Order order;
      order.order_id = order_id;
      order.status = it->second.status;
      order.courier_id = it->second.courier_id;
      order.version = it->second.version;
      order.payment = it->second.payment;
      stored.emplace(order_id, std::move(order));
    } else if (!(placements_are_new && std::holds_alternative<domain::OrderPlaced>(record.decoded.event))) {
      to_load.insert(order_id);
    }
  }
  return {to_load.begin(), to_load.end()};
}

OrderFacts KnownOrders::Facts(const DecodedBatch& batch) const {
  OrderFacts facts;
  if (facts_.empty()) return facts;
  for (const auto& record : batch.events) {
    const std::string& order_id = domain::OrderIdOf(record.decoded.event);
    if (const auto it = facts_.find(order_id); it != facts_.end()) facts.try_emplace(order_id, it->second);
  }
  return facts;
}

void KnownOrders::Remember(const BatchWrites& writes, const OrderFacts& facts_after) {
  if (orders_.size() + writes.upserts.size() > capacity_) Clear();
  for (const auto& order : writes.upserts) {
    if (domain::IsTerminal(order.status)) {
      orders_.erase(order.order_id);
      facts_.erase(order.order_id);
      continue;
    }
    orders_[order.order_id] = State{order.status, order.courier_id, order.version, order.payment};
    if (const auto facts = facts_after.find(order.order_id); facts != facts_after.end()) {
      facts_[order.order_id] = facts->second;
    } else {
      facts_.erase(order.order_id);
    }
  }
}

}  // namespace orders::projection

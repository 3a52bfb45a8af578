#include <orders/invariants/stock_rules.hpp>

#include <algorithm>
#include <variant>

namespace orders::invariants {
namespace {

std::string Quantity(std::int64_t quantity) { return std::to_string(quantity); }

std::int64_t AvailableIn(const ProductLedger& product) {
  return std::max<std::int64_t>(0, product.on_hand - product.reserved);
}

// Applies one event (already in sequence) to its product, reporting the
// rules it breaks; `where` locates the record in messages.
class StockRules {
 public:
  StockRules(ProductLedger& product, StockFold& fold, const std::string& where, Report& report)
      : product_(product), fold_(fold), where_(where), report_(report) {}

  void operator()(const domain::StockSet& set) { product_.on_hand = set.on_hand; }

  void operator()(const domain::StockReserved& reserved) {
    ++report_.counts["stock_reservations"];
    fold_.orders.insert(reserved.order_id);
    if (product_.open.count(reserved.order_id)) {
      report_.Add("order " + reserved.order_id + " reserved the product again while holding " +
                  Quantity(product_.open.at(reserved.order_id)) + " of it (a reservation counted twice)" + where_);
      return;  // the log's writer would now count it twice; the ledger keeps the first
    }
    if (product_.settled.count(reserved.order_id)) {
      report_.Add("order " + reserved.order_id +
                  " reserved the product again after its reservation was refused, released or committed" + where_);
    }
    if (reserved.quantity < 1) report_.Add("a reservation of " + Quantity(reserved.quantity) + " units" + where_);
    if (reserved.quantity > AvailableIn(product_)) {
      report_.Add("order " + reserved.order_id + " reserved " + Quantity(reserved.quantity) + " when only " +
                  Quantity(AvailableIn(product_)) + " were available (onHand " + Quantity(product_.on_hand) +
                  ", reserved " + Quantity(product_.reserved) + ")" + where_);
    }
    product_.open[reserved.order_id] = reserved.quantity;
    product_.reserved += reserved.quantity;
  }

  void operator()(const domain::ReservationRefused& refused) {
    ++report_.counts["stock_refusals"];
    fold_.orders.insert(refused.order_id);
    fold_.refused[refused.order_id].insert(refused.product_id);
    if (product_.open.count(refused.order_id)) {
      report_.Add("order " + refused.order_id + " was refused while it holds a reservation of the product" + where_);
      return;
    }
    const auto available = AvailableIn(product_);
    if (refused.available != available) {
      report_.Add("a refusal of order " + refused.order_id + " says " + Quantity(refused.available) +
                  " were available, the log says " + Quantity(available) + where_);
    }
    if (refused.quantity <= available) {
      report_.Add("order " + refused.order_id + " was refused " + Quantity(refused.quantity) + " units while " +
                  Quantity(available) + " were available" + where_);
    }
    product_.settled.insert(refused.order_id);
  }

  void operator()(const domain::StockReleased& released) { Settle(released.order_id, released.quantity, "released"); }

  void operator()(const domain::StockCommitted& committed) {
    if (Settle(committed.order_id, committed.quantity, "committed")) {
      product_.on_hand = std::max<std::int64_t>(0, product_.on_hand - committed.quantity);
    }
  }

 private:
  // Ends the order's open reservation; false (and a violation) when the
  // event does not match one exactly.
  bool Settle(const std::string& order_id, std::int64_t quantity, const std::string& how) {
    ++report_.counts["stock_" + how];
    fold_.orders.insert(order_id);
    const auto open = product_.open.find(order_id);
    if (open == product_.open.end()) {
      report_.Add("order " + order_id + " " + how + " " + Quantity(quantity) +
                  " units without an open reservation of the product" + where_);
      return false;
    }
    const auto held = open->second;
    product_.open.erase(open);
    product_.reserved -= held;
    product_.settled.insert(order_id);
    if (held != quantity) {
      // The writer's own count moved by `quantity`, not by what was held:
      // its reserved is no longer the sum of the open reservations.
      report_.Add("order " + order_id + " " + how + " " + Quantity(quantity) + " units of a reservation of " +
                  Quantity(held) + where_);
      return false;
    }
    return true;
  }

  ProductLedger& product_;
  StockFold& fold_;
  const std::string& where_;
  Report& report_;
};

}  // namespace

StockFold CheckStockLog(const std::vector<StockRecord>& log, Report& report) {
  StockFold fold;
  for (const auto& record : log) {
    if (!record.event) {
      report.Add("undecodable inventory record at partition " + std::to_string(record.partition) + " offset " +
                 std::to_string(record.offset) + ": " + record.decode_error);
      continue;
    }
    const auto& event = *record.event;
    const auto& id = domain::ProductIdOf(event);
    const auto version = domain::VersionOf(event);
    const auto where = " (product " + id + ", version " + std::to_string(version) + ", partition " +
                       std::to_string(record.partition) + " offset " + std::to_string(record.offset) + ")";
    const bool first = !fold.products.count(id);
    auto& product = fold.products[id];
    if (version <= product.version) {
      report.Add("duplicate version in the inventory log" + where);
      continue;  // applying it again would count its quantities twice
    }
    if (version != product.version + 1) report.Add("gap before this version in the inventory log" + where);
    if (first && !std::holds_alternative<domain::StockSet>(event)) {
      report.Add("the first event of a product is not a stock_set (an untracked product has no stock events)" + where);
    }
    // After a gap the ledger goes on from the version the log has, so the
    // records after it are still checked against each other.
    product.version = version;
    std::visit(StockRules{product, fold, where, report}, event);
    const auto at = domain::TimeOf(event);
    if (!product.tracked_since && std::holds_alternative<domain::StockSet>(event)) product.tracked_since = at;
    if (!fold.last_event_at || at > *fold.last_event_at) fold.last_event_at = at;
  }
  std::int64_t open = 0;
  for (const auto& [id, product] : fold.products) open += static_cast<std::int64_t>(product.open.size());
  report.counts["inventory_records"] = static_cast<std::int64_t>(log.size());
  report.counts["products"] = static_cast<std::int64_t>(fold.products.size());
  report.counts["open_reservations"] = open;
  return fold;
}

}  // namespace orders::invariants

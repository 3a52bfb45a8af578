#include <orders/invariants/workflow_rules.hpp>

#include <algorithm>
#include <variant>

#include <orders/domain/status.hpp>

namespace orders::invariants {
namespace {

using domain::Status;
using std::chrono::milliseconds;

// Where an order's money stands, as far as the checker has read.
enum class Money { kPending, kNotRequired, kAuthorized, kDeclined, kRefunded };

// One order, folded by the checker itself for the workflow rules.
struct OrderTrack {
  bool placed = false;
  std::int64_t version = 0;
  domain::Timestamp placed_at{};
  Status status = Status::kPending;
  Money money = Money::kPending;
  bool ever_authorized = false;
  int refunds = 0;
  std::optional<domain::Timestamp> left_pending_at;
  std::optional<std::string> cancel_reason;
};

std::string Seconds(milliseconds duration) {
  return std::to_string(duration.count() / 1000) + "." + std::to_string(duration.count() % 1000 / 100) + " s";
}

std::string MoneyName(Money money) {
  switch (money) {
    case Money::kPending:
      return "pending";
    case Money::kNotRequired:
      return "not_required";
    case Money::kAuthorized:
      return "authorized";
    case Money::kDeclined:
      return "declined";
    case Money::kRefunded:
      return "refunded";
  }
  return "?";
}

bool ByAService(const LogRecord& record) { return record.actor && record.actor->rfind("service:", 0) == 0; }

class OrderRules {
 public:
  OrderRules(OrderTrack& order, const LogRecord& record, const std::string& where, Report& report)
      : order_(order), record_(record), where_(where), report_(report) {}

  void operator()(const domain::OrderPlaced& placed) {
    order_.placed = true;
    order_.placed_at = placed.at;
    order_.money = placed.total_cents == 0 ? Money::kNotRequired : Money::kPending;
  }

  void operator()(const domain::StatusChanged& changed) {
    if (order_.status == Status::kPending && changed.to != Status::kPending) {
      order_.left_pending_at = changed.at;
      if (changed.to == Status::kCancelled) {
        if (ByAService(record_) && changed.reason.value_or("").empty()) {
          report_.Add("cancelled out of pending by " + *record_.actor + " without a reason" + where_);
        }
      } else if (order_.money != Money::kAuthorized && order_.money != Money::kNotRequired) {
        report_.Add("moved to " + std::string(domain::ToString(changed.to)) + " while its payment is " +
                    MoneyName(order_.money) + " (not authorized)" + where_);
      }
    }
    order_.status = changed.to;
    if (changed.to == Status::kCancelled) order_.cancel_reason = changed.reason;
  }

  void operator()(const domain::PaymentAuthorized&) {
    order_.money = Money::kAuthorized;
    order_.ever_authorized = true;
  }
  void operator()(const domain::PaymentDeclined&) { order_.money = Money::kDeclined; }
  void operator()(const domain::PaymentRefunded&) {
    ++report_.counts["refunds"];
    order_.money = Money::kRefunded;
    if (++order_.refunds == 2) report_.Add("refunded a second time" + where_);
  }
  // Courier events say nothing about stock or money.
  void operator()(const domain::CourierAssigned&) {}
  void operator()(const domain::CourierUnassigned&) {}
  void operator()(const domain::DeliveryDeclined&) {}

 private:
  OrderTrack& order_;
  const LogRecord& record_;
  const std::string& where_;
  Report& report_;
};

std::map<std::string, OrderTrack> Track(const std::vector<LogRecord>& log, Report& report) {
  std::map<std::string, OrderTrack> orders;
  for (const auto& record : log) {
    if (!record.event) continue;  // reported by CheckLog
    auto& order = orders[domain::OrderIdOf(*record.event)];
    const auto version = domain::VersionOf(*record.event);
    if (version <= order.version) continue;  // a duplicate, reported by CheckLog
    order.version = version;
    const auto where = " (order " + domain::OrderIdOf(*record.event) + ", version " + std::to_string(version) +
                       ", partition " + std::to_string(record.partition) + " offset " + std::to_string(record.offset) +
                       ")";
    std::visit(OrderRules{order, record, where, report}, *record.event);
  }
  return orders;
}

domain::Timestamp EndOfLogs(const std::vector<LogRecord>& log, const StockFold* stock, const WorkflowOptions& options) {
  if (options.end_of_log) return *options.end_of_log;
  domain::Timestamp end{};
  for (const auto& record : log) {
    if (record.event) end = std::max(end, domain::TimeOf(*record.event));
  }
  if (stock && stock->last_event_at) end = std::max(end, *stock->last_event_at);
  return end;
}

void CheckDeadline(const std::string& id, const OrderTrack& order, domain::Timestamp end,
                   const WorkflowOptions& options, Report& report) {
  const milliseconds limit = options.payment_timeout + options.slack;
  if (order.left_pending_at) {
    const milliseconds waited = *order.left_pending_at - order.placed_at;
    if (waited > limit) {
      report.Add("order " + id + " left pending " + Seconds(waited) + " after it was placed; the deadline is " +
                 Seconds(options.payment_timeout) + " + " + Seconds(options.slack));
    }
  } else if (const milliseconds age = end - order.placed_at; age > limit) {
    report.Add("order " + id + " is still pending " + Seconds(age) + " after it was placed; the deadline is " +
               Seconds(options.payment_timeout) + " + " + Seconds(options.slack));
  } else {
    ++report.counts["orders_pending_within_deadline"];
  }
}

void CheckAgainstStock(const std::map<std::string, OrderTrack>& orders, const StockFold& stock, Report& report) {
  for (const auto& [id, order] : orders) {
    if (order.status == Status::kCancelled && order.cancel_reason == "out_of_stock" && !stock.refused.count(id)) {
      report.Add("order " + id + " was cancelled out_of_stock but no product refused it");
    }
    // No payment before every tracked product answered: a product counted
    // before the order was placed and refusing it means the charge came too
    // early (the product was taken for untracked). Counted later, the product
    // was untracked when the order was paid for.
    const auto refused = stock.refused.find(id);
    if (!order.ever_authorized || refused == stock.refused.end()) continue;
    for (const auto& product_id : refused->second) {
      const auto product = stock.products.find(product_id);
      if (product == stock.products.end() || !product->second.tracked_since) continue;
      if (*product->second.tracked_since <= order.placed_at) {
        report.Add("order " + id + " was charged although product " + product_id +
                   ", counted before the order was placed, refused it");
      }
    }
  }
  for (const auto& [product_id, product] : stock.products) {
    for (const auto& [order_id, quantity] : product.open) {
      const auto order = orders.find(order_id);
      if (order == orders.end()) continue;  // reported below
      if (order->second.status == Status::kCancelled || order->second.status == Status::kDelivered) {
        report.Add("order " + order_id + " ended " + std::string(domain::ToString(order->second.status)) +
                   " but still holds a reservation of " + std::to_string(quantity) + " of product " + product_id);
      }
    }
  }
  for (const auto& order_id : stock.orders) {
    const auto order = orders.find(order_id);
    if (order == orders.end() || !order->second.placed) {
      report.Add("the inventory log names order " + order_id + ", which the orders log never placed");
    }
  }
}

}  // namespace

void CheckWorkflow(const std::vector<LogRecord>& log, const StockFold* stock, const WorkflowOptions& options,
                   Report& report) {
  const auto orders = Track(log, report);
  const auto end = EndOfLogs(log, stock, options);
  for (const auto& [id, order] : orders) {
    if (!order.placed) continue;  // its placement is missing: a gap CheckLog reports
    CheckDeadline(id, order, end, options, report);
    if (order.status == Status::kCancelled && order.ever_authorized && order.refunds == 0) {
      report.Add("order " + id + " was cancelled with an authorized payment but never refunded");
    }
  }
  if (stock) CheckAgainstStock(orders, *stock, report);
  report.counts["workflow_orders"] = static_cast<std::int64_t>(orders.size());
}

std::int64_t WorkflowStepsUnderWay(const std::vector<LogRecord>& log, const StockFold* stock) {
  Report ignored;  // violations are CheckWorkflow's business
  const auto orders = Track(log, ignored);
  std::int64_t under_way = 0;
  for (const auto& [id, order] : orders) {
    if (!order.placed) continue;
    if (order.status == Status::kPending) ++under_way;
    if (order.status == Status::kCancelled && order.ever_authorized && order.refunds == 0) ++under_way;
  }
  if (!stock) return under_way;
  for (const auto& [product_id, product] : stock->products) {
    for (const auto& [order_id, quantity] : product.open) {
      const auto order = orders.find(order_id);
      if (order != orders.end() &&
          (order->second.status == Status::kCancelled || order->second.status == Status::kDelivered)) {
        ++under_way;
      }
    }
  }
  return under_way;
}

}  // namespace orders::invariants

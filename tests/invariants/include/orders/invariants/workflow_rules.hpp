#pragma once
// The fulfilment workflow's invariants (checker.hpp, 8), for a log written
// with the workflow on (WORKFLOW=off confirms orders by hand, without any
// payment, and none of this applies):
//   - every order leaves `pending` (confirmed, or cancelled) within
//     payment_timeout + slack of its placement; an order still pending at the
//     end of the log is a violation once it is older than that, so orders
//     placed just before the end are not flagged. A cancellation out of
//     pending made by a service (the workflow) says why (a reason);
//   - no order leaves `pending` for anything but `cancelled` unless its
//     payment was authorized before that record (or is not_required: total 0);
//   - an order is refunded at most once, and every order that ended
//     cancelled with a payment that was authorized (before or after the
//     cancellation) has exactly one order.payment_refunded;
//   - joined with the inventory log (when it was read): an order cancelled
//     `out_of_stock` was refused by some product; an order that ended
//     cancelled or delivered holds no open reservation; every order the
//     inventory log names is in the orders log. The two logs are not ordered
//     with respect to each other, so these are judged on both logs' ends.
// "The end of the log" is the latest event time in either log unless the
// options fix it. Records whose version an order already had (duplicates,
// reported by CheckLog) are skipped, so a repeated refund record is not
// counted as a second refund.

#include <chrono>
#include <optional>
#include <vector>

#include <orders/invariants/checker.hpp>
#include <orders/invariants/stock_rules.hpp>

namespace orders::invariants {

struct WorkflowOptions {
  std::chrono::milliseconds payment_timeout = std::chrono::minutes(15);  // the command service's PAYMENT_TIMEOUT
  // How late past the deadline an order may still leave pending: the
  // workflow notices deadlines by looking, not at the exact millisecond.
  std::chrono::milliseconds slack = std::chrono::seconds(30);
  std::optional<domain::Timestamp> end_of_log{};  // nullopt: the latest event time of either log
};

// `stock` null: the inventory log was not read; the rules joining the two
// logs are skipped.
void CheckWorkflow(const std::vector<LogRecord>& log, const StockFold* stock, const WorkflowOptions& options,
                   Report& report);

// How much of the workflow is still under way at the end of the logs: orders
// still pending, cancelled orders with an authorized payment and no refund
// yet, cancelled or delivered orders that still hold a reservation. The
// end-of-log rules above judge a finished workflow, so a scenario stops its
// load and waits for 0 before it checks. `stock` null: reservations are not
// counted.
std::int64_t WorkflowStepsUnderWay(const std::vector<LogRecord>& log, const StockFold* stock);

}  // namespace orders::invariants

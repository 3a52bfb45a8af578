#pragma once
// The fulfilment workflow's rules: given what the log says about an order and
// its products, what is the next step? Pure functions; the command service
// runs them (workflow.hpp) and the invariant checker shares the vocabulary.
//
// An order's lines are reserved per product (quantities of one product summed),
// all or nothing. The order's writer waits for every tracked product's answer,
// then asks for payment, then confirms. Requests and answers travel through the
// log: order.placed asks each product's writer to reserve; stock_reserved or
// reservation_refused answers; a cancelled order asks for a release, a
// delivered one for a commit.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/inventory.hpp>
#include <orders/domain/order.hpp>

namespace orders::domain {

// Reasons the workflow gives when it cancels an order.
inline constexpr std::string_view kOutOfStock = "out_of_stock";
inline constexpr std::string_view kPaymentDeclined = "payment_declined";
inline constexpr std::string_view kPaymentTimeout = "payment_timeout";

// The order's lines summed per product.
std::map<std::string, std::int64_t> QuantitiesByProduct(const Order& order);

// One product of an order as the order's writer sees it: untracked (no stock
// events: unlimited), or what became of the order's reservation.
struct ProductAnswer {
  std::string product_id;
  std::optional<ReservationState> reservation;  // nullopt: untracked
};

enum class OrderStepKind {
  kNothing,    // no work now or later (unless a new event arrives)
  kWait,       // waiting for stock answers, or the deadline
  kAuthorize,  // ask the gateway to authorize the total (again, for a cancelled order whose answer never came)
  kConfirm,    // pending -> confirmed
  kCancel,     // pending -> cancelled with `reason`
  kRefund,     // cancelled with an authorized payment: give the money back
};

struct OrderStep {
  OrderStepKind kind = OrderStepKind::kNothing;
  std::string reason;  // for kCancel
  friend bool operator==(const OrderStep&, const OrderStep&) = default;
};

// The order writer's next step. `deadline` is measured from the order's
// creation (an event time), so it survives restarts.
OrderStep NextOrderStep(const Order& order, const std::vector<ProductAnswer>& products, Timestamp now,
                        std::chrono::milliseconds deadline);

enum class StockStepKind { kNothing, kReserve, kRelease, kCommit };

struct StockStep {
  StockStepKind kind = StockStepKind::kNothing;
  std::int64_t quantity = 0;  // for kReserve
  friend bool operator==(const StockStep&, const StockStep&) = default;
};

// A product writer's next step for one order that has `quantity` of it.
// Reservations are made while the order is pending; a cancelled order's
// reservation is released, a delivered one's committed.
// `reservation` is ReservationOf(the product's stock, the order).
StockStep NextStockStep(const Order& order, std::int64_t quantity, ReservationState reservation);

}  // namespace orders::domain

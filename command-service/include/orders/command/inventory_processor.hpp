#pragma once
// Inventory commands: decide on the product's current stock, append the event
// to the product's partition of the inventory topic, answer. One command per
// product at a time (StockBook); like CommandProcessor it knows neither HTTP
// nor Kafka.
//
// Two kinds of callers:
// - the command API: SetStock, checked against the caller's role;
// - the command service itself (the fulfilment workflow): Reserve, Release and
//   Commit. No permission check: they come from the writer of the order, which
//   decided that the order needs them. Each may be repeated safely (see
//   orders/domain/inventory.hpp): a repeated request appends nothing and
//   answers with the stock as it is, whose ReservationOf(orderId) tells what
//   became of the order's reservation.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <orders/command/caller.hpp>
#include <orders/command/event_appender.hpp>
#include <orders/command/own_appends.hpp>
#include <orders/command/stock_book.hpp>
#include <orders/domain/inventory.hpp>

namespace orders::command {

struct StockResult {
  enum class Kind {
    kOk,           // decided and, if there was an event, in the log
    kRejected,     // see rejection (invalid, forbidden, conflicting quantity)
    kUnavailable,  // the log did not take the event (or its outcome is unknown)
    kBusy,         // too many commands wait for this product
    kNotOwner,     // another instance writes this product's partition (or the inventory topic is not ready)
  };
  Kind kind = Kind::kUnavailable;
  // The product's counts after the command (StockBook::Level: without the
  // per-order maps); nullopt when it is untracked (unlimited).
  std::optional<domain::Stock> stock;
  // What this command appended: empty when it changed nothing.
  std::vector<domain::StockEvent> events;
  std::optional<domain::Rejection> rejection;
  // For Reserve / Release / Commit: what became of the order's reservation of this product.
  std::optional<domain::ReservationState> reservation;
};

using StockReply = std::function<void(StockResult)>;

struct InventoryDeps {
  StockBook& book;
  EventAppender& appender;  // onto the inventory topic
  std::function<domain::Timestamp()> now;
  std::function<std::string()> new_id;  // event ids
  std::string source;                   // ce_source
  // The partition to write `product_id` to, when this instance may write it now.
  std::function<std::optional<platform::Partition>(const std::string& product_id)> writable_partition;
  // The traceparent an order's steps continue (OrderBook::TraceOf); empty: none.
  std::function<std::optional<std::string>(const std::string& order_id)> trace_of;
  // As ProcessorDeps::own_appends, for the inventory follower.
  OwnAppends* own_appends = nullptr;
};

class InventoryProcessor {
 public:
  explicit InventoryProcessor(InventoryDeps deps) : deps_(std::move(deps)) {}

  // PUT /inventory/{productId}: staff and services only (403 for others).
  void SetStock(domain::SetStock command, const Caller& caller, StockReply reply);

  // The workflow's commands; `audit` becomes the events' orders_actor header,
  // and they continue the order's trace.
  void Reserve(domain::ReserveStock command, std::optional<std::string> audit, StockReply reply);
  void Release(domain::ReleaseStock command, std::optional<std::string> audit, StockReply reply);
  void Commit(domain::CommitStock command, std::optional<std::string> audit, StockReply reply);

 private:
  using Decider = StockBook::Decider;
  template <typename Command>
  void Submit(Command command, EventLabels labels, StockReply reply);
  // With the product to itself: refusals, decision, append, answer.
  // `order_id` (workflow commands) fills the result's `reservation`.
  void Run(const std::string& product_id, const std::string& order_id, bool valid, Decider decide, EventLabels labels,
           StockReply reply);

  InventoryDeps deps_;
};

}  // namespace orders::command

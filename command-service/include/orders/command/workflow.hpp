#pragma once
// The fulfilment workflow: reacts to what the logs say about each order and
// takes its next step (domain/fulfilment.hpp), on the partitions this
// instance writes. Its progress is the events themselves, so a restart
// re-derives every order's step from the logs: nothing here needs to survive
// a crash. What it keeps in memory is only which orders still wait (so a
// deadline or a failed step is looked at again) and which steps are in flight
// (so a slow gateway is not asked twice at once).
//
// - Order side (this instance writes the order): payment, confirmation,
//   cancellation (out of stock, declined, deadline), refund.
// - Product side (this instance writes the product): reserve for a pending
//   order, release for a cancelled one, commit for a delivered one.
// Every step goes through the single writer of its stream (CommandProcessor,
// InventoryProcessor), whose Decide answers a repeat with no event: two
// instances briefly both believing they own a stream (a rebalance) cannot
// take a step twice, and the gateway sees one idempotency key per order.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <orders/command/command_processor.hpp>
#include <orders/command/inventory_processor.hpp>
#include <orders/command/order_book.hpp>
#include <orders/command/payment_gateway.hpp>
#include <orders/command/stock_book.hpp>
#include <orders/domain/fulfilment.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

struct WorkflowSettings {
  std::chrono::milliseconds payment_timeout{std::chrono::minutes(15)};
  // How often orders that wait are looked at again (deadlines, retries, ownership changes).
  std::chrono::milliseconds sweep_interval{200};
  // Backoff before a failed step is tried again: doubles from first_retry up to max_retry.
  std::chrono::milliseconds first_retry{500};
  std::chrono::milliseconds max_retry{30000};
};

struct WorkflowDeps {
  const OrderBook& orders;
  const StockBook& stocks;
  CommandProcessor& processor;
  InventoryProcessor& inventory;
  PaymentGateway& gateway;
  std::function<bool(const std::string& order_id)> writes_order;
  std::function<bool(const std::string& product_id)> writes_product;
  // True once this instance has read every inventory record appended before
  // `moment` (LogFollower::ReadThrough). A product another instance writes and
  // this one has no stock for counts as untracked only then: its first stock
  // count may still be on its way. The follower's read-through listener then
  // calls StockReadThrough().
  std::function<bool(std::chrono::steady_clock::time_point moment)> stock_read_through;
  // Both logs read up to where they ended at start: before that, steps would be decided on old state.
  std::function<bool()> ready;
  std::function<domain::Timestamp()> now;
  platform::MetricsRegistry& metrics;
  WorkflowSettings settings;
};

class Workflow {
 public:
  explicit Workflow(WorkflowDeps deps);
  ~Workflow();

  Workflow(const Workflow&) = delete;
  Workflow& operator=(const Workflow&) = delete;

  // An event of this order, or of one of its reservations, was folded. Any
  // thread; only takes note.
  void Touch(const std::string& order_id);
  // The inventory log was read through a newer moment: orders waiting to learn
  // whether their products are tracked are looked at again. Any thread.
  void StockReadThrough();

  void Start();  // the workflow's own thread runs RunOnce in a loop
  void Stop();   // idempotent; steps in flight finish on their own threads

  // One pass: every touched order, and every waiting order when the sweep is
  // due; false (and nothing done) until both logs are read. Tests call it
  // directly instead of Start().
  bool RunOnce();
  std::size_t WaitingCount() const;

 private:
  struct Attempt {
    bool in_flight = false;
    int failures = 0;
    std::chrono::steady_clock::time_point not_before{};
  };

  // Decides and starts the order's steps; true while the order still waits for something.
  bool Examine(const std::string& order_id);
  bool OrderSide(const domain::Order& order);
  // The order's next step, given what its products answered so far.
  domain::OrderStep NextStepOf(const domain::Order& order) const;
  // Whether the products of the order that this instance has no stock for may
  // be taken as untracked: true for the products it writes, and for the
  // others once the inventory log was read through the moment the question
  // first arose (after the order's placement).
  bool UntrackedIsSure(const std::string& order_id, const std::string& product_id) const;
  void ForgetUntrackedCheck(const std::string& order_id);
  bool ProductSide(const domain::Order& order);
  void Authorize(const domain::Order& order);
  void Refund(const domain::Order& order);
  void Move(const domain::Order& order, domain::Status to, std::string reason);
  // The confirmation appended right after the authorization, while the order
  // is still held (one round trip to the log fewer than taking it as its own
  // step); empty when the confirm step is already in flight.
  FollowUp ConfirmRightAfter(const std::string& order_id, domain::Timestamp placed);
  // Finishes the confirm step `key`, timing placement -> confirmation when it appended.
  Reply FinishConfirm(std::string key, domain::Timestamp placed);
  // Claims the step `key` unless it is in flight or backing off after a failure.
  bool Begin(const std::string& key, const char* step);
  bool Claim(const std::string& key);  // Begin without counting a started step
  // Counts a started step and logs it (debug) with the order's trace id.
  void Started(const std::string& order_id, const char* step);
  void Finish(const std::string& key, const char* step, bool succeeded);
  Reply FinishWhenAnswered(std::string key, const char* step);

  WorkflowDeps deps_;
  // Per step name ("reserve", "authorize", ...): started and failed, for /metrics.
  std::unordered_map<std::string, platform::Counter*> started_;
  std::unordered_map<std::string, platform::Counter*> failed_;
  // Placement (the order's createdAt) to the workflow's confirmation in the log.
  platform::Histogram& placed_to_confirmed_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Orders to look at, in the order their events arrived (first placed, first
  // reserved), each once.
  std::vector<std::string> touched_;
  std::unordered_set<std::string> touched_set_;
  std::unordered_set<std::string> waiting_;
  std::unordered_map<std::string, Attempt> attempts_;  // "<orderId>#<step>", "<orderId>/<productId>"
  std::chrono::steady_clock::time_point next_sweep_{};
  // Orders whose untracked products wait for the inventory log to be read
  // through the moment noted (first asked); true once it was.
  struct UntrackedCheck {
    std::chrono::steady_clock::time_point asked;
    bool sure = false;
  };
  mutable std::mutex untracked_mutex_;
  mutable std::unordered_map<std::string, UntrackedCheck> untracked_checks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace orders::command

#pragma once
// The command side's application logic: turns a parsed command into an event
// in the log and an answer for the client, one command per order at a time.
// It knows neither HTTP nor Kafka (OrderBook + EventAppender).

#include <functional>
#include <optional>
#include <string>

#include <orders/command/caller.hpp>
#include <orders/command/event_appender.hpp>
#include <orders/command/order_book.hpp>
#include <orders/command/own_appends.hpp>
#include <orders/domain/decide.hpp>

namespace orders::command {

struct CommandResult {
  enum class Kind {
    kCreated,              // 201: a new order (or the original answer of a retried POST)
    kOk,                   // 200: status changed, or already had that status
    kRejected,             // see rejection
    kIdempotencyMismatch,  // 422: same Idempotency-Key, different body
    kUnavailable,          // 503: the log did not take the event (or outcome unknown)
    kBusy,                 // 503: too many commands waiting for this order
    kNotOwner,             // 503: another instance writes this order's partition
  };
  Kind kind = Kind::kUnavailable;
  std::optional<domain::Order> order;
  std::optional<domain::Rejection> rejection;
};

using Reply = std::function<void(CommandResult)>;

struct ProcessorDeps {
  OrderBook& book;
  EventAppender& appender;
  std::function<domain::Timestamp()> now;
  std::function<std::string()> new_id;  // UUIDs for orders and events
  std::string source;                   // ce_source
  // The partition to write `order_id` to, when this instance may write it now.
  std::function<std::optional<platform::Partition>(const std::string& order_id)> writable_partition;
  // With the fulfilment workflow on, a pending order awaits stock and payment:
  // people may cancel it but not move it forward (409 awaiting-payment).
  bool workflow = false;
  // The id of an order placed without one (partitioning.hpp NewOrderId).
  // Empty: new_id (unit tests, one instance).
  std::function<std::string(const std::optional<std::string>& idempotency_key)> new_order_id;
  // Told of every append folded at its acknowledgement, so the log follower
  // skips it when it reads it back. Null: the follower folds everything.
  OwnAppends* own_appends = nullptr;
};

// A command the workflow wants appended right after another one, while the
// order is still its own: `next` looks at the order as the first event will
// leave it and names the status change to make, if any. Both events are then
// handed to the log together (EventAppender::AppendInOrder): the follow-up
// does not wait for the first's acknowledgement, and is never in the log
// without it. `reply` is called once: kOk when nothing was needed (or the
// first event was refused before anything was appended: the step is then for
// the workflow to take again), otherwise the follow-up's result (kUnavailable
// when it was not appended, also because the first was not).
struct FollowUp {
  std::function<std::optional<domain::ChangeStatus>(const domain::Order&)> next;
  Reply reply;
};

class CommandProcessor {
 public:
  explicit CommandProcessor(ProcessorDeps deps) : deps_(std::move(deps)) {}

  // `reply` is called exactly once, possibly on another thread. Every command
  // is checked against the permission table (orders/domain/access.hpp) for
  // `caller`, on the order's state while the command has the order to itself,
  // and its event carries `caller.audit`.
  void Place(domain::PlaceOrder command, std::optional<std::string> idempotency_key, const Caller& caller, Reply reply);
  void ChangeStatus(domain::ChangeStatus command, const Caller& caller, Reply reply);
  // `by` is the caller's (a courier accepts, staff/service assign).
  void AssignCourier(domain::AssignCourier command, const Caller& caller, Reply reply);
  // A courier releases its own delivery; staff/service unassign whoever has it.
  void UnassignCourier(domain::UnassignCourier command, const Caller& caller, Reply reply);
  // Couriers only; the declining courier is the caller.
  void DeclineDelivery(domain::DeclineDelivery command, const Caller& caller, Reply reply);

  // The fulfilment workflow's commands. This writer decided them, so no
  // permission check; their events carry `audit` as orders_actor. Each is safe
  // to repeat: Decide answers a repeat with no event.
  void MoveForWorkflow(domain::ChangeStatus command, std::string audit, Reply reply);
  // With `then`, an authorization is followed at once by what `then` names
  // (the confirmation), without letting go of the order in between.
  void RecordPayment(domain::RecordPaymentAuthorized command, std::string audit, Reply reply, FollowUp then = {});
  void RecordPayment(domain::RecordPaymentDeclined command, std::string audit, Reply reply);
  void RecordPayment(domain::RecordPaymentRefunded command, std::string audit, Reply reply);

 private:
  std::string NewOrderId(const std::optional<std::string>& idempotency_key) const;
  // Why the caller may not run the command on this order; nullopt when it may.
  using Permit = std::function<std::optional<domain::Rejection>(const domain::Order&)>;
  using Decider = std::function<domain::Decision(const std::optional<domain::Order>&)>;
  // A command on an existing order, with the order to itself: refusals,
  // permission, decision, append, answer (200 with the order).
  void RunOnOrder(const std::string& order_id, bool valid, Permit permit, Decider decide, EventLabels labels,
                  Reply reply, FollowUp then = {});
  template <typename Command>
  void RunForWorkflow(Command command, std::string audit, Reply reply, FollowUp then = {});
  // The answer to a command on an existing order once its event was appended
  // (200 with the order as the book now holds it) or not (503).
  CommandResult AfterAppend(const std::string& order_id, bool persisted) const;
  // The event `then` names on `order` as `first` leaves it; none when `then`
  // names nothing or Decide has nothing to append.
  std::optional<domain::Event> FollowingEvent(domain::Order order, const domain::Event& first,
                                              const FollowUp& then) const;
  // Appends `first` and `second` (with `metadata`, the second in a span of its
  // own) as one chain, answers `reply` for the first
  // and `follow_up_reply` for the second, and releases the order once both are answered.
  void AppendWithFollowUp(const domain::Event& first, const domain::Event& second, platform::Partition partition,
                          codec::EventMetadata metadata, Reply reply, Reply follow_up_reply);
  // The workflow's labels for an order: `audit`, and a new span in the order's trace.
  EventLabels WorkflowLabels(const std::string& order_id, std::string audit) const;
  // `event` as a record for `partition`, and what its answer does: a
  // persisted event is folded into the book at once (and noted for the log
  // follower), an unknown outcome fences the order; then `on_done(persisted)`.
  ChainedAppend Chained(const domain::Event& event, platform::Partition partition, codec::EventMetadata metadata,
                        std::function<void(bool)> on_done);
  void Append(const domain::Event& event, platform::Partition partition, codec::EventMetadata metadata,
              std::function<void(bool)> on_done);
  // Refusals every command checks first; nullopt when it may go on.
  std::optional<CommandResult::Kind> Refusal(const std::string& order_id,
                                             std::optional<platform::Partition>& partition) const;
  // For a valid command that must be refused before it is decided (Refusal): gives back
  // `reserved_key` (an Idempotency-Key this command reserved), answers, releases the order and
  // returns true. Otherwise fills `partition` (valid commands) and returns false.
  bool RefusedBeforeDeciding(const std::string& order_id, bool valid, std::optional<platform::Partition>& partition,
                             const std::optional<std::string>& reserved_key, const Reply& reply);

  ProcessorDeps deps_;
};

// The order as it was when placed (version 1): the answer replayed to a
// retried POST with the same Idempotency-Key.
domain::Order AsPlaced(const domain::Order& order);

}  // namespace orders::command

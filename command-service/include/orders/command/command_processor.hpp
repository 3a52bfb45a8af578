#pragma once
// The command side's application logic: turns a parsed command into an event
// in the log and an answer for the client, one command per order at a time.
// It knows neither HTTP nor Kafka (OrderBook + EventAppender).

#include <functional>
#include <optional>
#include <string>

#include <orders/command/event_appender.hpp>
#include <orders/command/order_book.hpp>
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
};

class CommandProcessor {
 public:
  explicit CommandProcessor(ProcessorDeps deps) : deps_(std::move(deps)) {}

  // `reply` is called exactly once, possibly on another thread.
  void Place(domain::PlaceOrder command, std::optional<std::string> idempotency_key, Reply reply);
  void ChangeStatus(domain::ChangeStatus command, Reply reply);

 private:
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

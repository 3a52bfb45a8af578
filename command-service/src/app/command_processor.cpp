#include <orders/command/command_processor.hpp>

#include <orders/command/request_parser.hpp>

namespace orders::command {

domain::Order AsPlaced(const domain::Order& order) {
  domain::Order placed = order;
  placed.status = domain::Status::kPending;
  placed.version = 1;
  placed.updated_at = placed.created_at;
  return placed;
}

std::optional<CommandResult::Kind> CommandProcessor::Refusal(const std::string& order_id,
                                                             std::optional<platform::Partition>& partition) const {
  if (deps_.book.IsUncertain(order_id)) return CommandResult::Kind::kUnavailable;
  partition = deps_.writable_partition(order_id);
  if (!partition) return CommandResult::Kind::kNotOwner;
  return std::nullopt;
}

bool CommandProcessor::RefusedBeforeDeciding(const std::string& order_id, bool valid,
                                             std::optional<platform::Partition>& partition,
                                             const std::optional<std::string>& reserved_key, const Reply& reply) {
  // Invalid commands go on: Decide refuses them, whoever owns the order.
  if (!valid) return false;
  const auto refusal = Refusal(order_id, partition);
  if (!refusal) return false;
  // Nothing was appended: the key was never used, so a corrected retry may have it.
  if (reserved_key) deps_.book.Forget(*reserved_key);
  reply({*refusal, std::nullopt, std::nullopt});
  deps_.book.Release(order_id);
  return true;
}

void CommandProcessor::Append(const domain::Event& event, platform::Partition partition, codec::EventMetadata metadata,
                              std::function<void(bool)> on_done) {
  metadata.event_id = deps_.new_id();
  metadata.source = deps_.source;
  const auto record = codec::EncodeEvent(event, metadata);
  deps_.appender.Append(record, partition,
                        [this, event, metadata, on_done = std::move(on_done)](AppendOutcome outcome) {
                          if (outcome == AppendOutcome::kPersisted) deps_.book.Apply(event, metadata);
                          if (outcome == AppendOutcome::kUnknown) deps_.book.MarkUncertain(domain::OrderIdOf(event));
                          on_done(outcome == AppendOutcome::kPersisted);
                        });
}

void CommandProcessor::Place(domain::PlaceOrder command, std::optional<std::string> idempotency_key, Reply reply) {
  std::optional<std::string> request_hash;
  bool retry = false;
  if (idempotency_key) {
    request_hash = RequestHash(command);  // before an orderId is generated
    if (command.order_id.empty()) command.order_id = deps_.new_id();
    if (auto existing = deps_.book.Reserve(*idempotency_key, {command.order_id, *request_hash})) {
      if (existing->request_hash != *request_hash) {
        // A reservation whose placement may or may not be in the log: the key is
        // either used (422) or free again once the log says; until then, retry later.
        const bool undecided = !existing->in_log && deps_.book.IsUncertain(existing->order_id);
        reply({undecided ? CommandResult::Kind::kUnavailable : CommandResult::Kind::kIdempotencyMismatch, std::nullopt,
               std::nullopt});
        return;
      }
      command.order_id = existing->order_id;
      retry = true;
    }
  } else if (command.order_id.empty()) {
    command.order_id = deps_.new_id();
  }

  const std::string order_id = command.order_id;
  auto work = [this, command = std::move(command), idempotency_key, request_hash, retry, reply]() mutable {
    const std::string id = command.order_id;
    std::optional<platform::Partition> partition;
    const auto reserved_key = retry ? std::nullopt : idempotency_key;
    if (RefusedBeforeDeciding(id, domain::Validate(command).empty(), partition, reserved_key, reply)) return;
    const auto state = deps_.book.Find(id);
    if (retry && state) {
      reply({CommandResult::Kind::kCreated, AsPlaced(*state), std::nullopt});
      deps_.book.Release(id);
      return;
    }
    auto decision = domain::Decide(state, command, deps_.now());
    if (!decision.accepted()) {
      if (idempotency_key && !retry) deps_.book.Forget(*idempotency_key);
      reply({CommandResult::Kind::kRejected, std::nullopt, std::move(decision.rejection)});
      deps_.book.Release(id);
      return;
    }
    codec::EventMetadata metadata;
    metadata.idempotency_key = idempotency_key;
    metadata.request_hash = request_hash;
    Append(decision.events.front(), *partition, metadata, [this, id, idempotency_key, reply](bool persisted) {
      if (!persisted && idempotency_key) {
        // Unknown outcome: the event may yet show up in the log, keep the key bound to this order until it settles.
        if (deps_.book.IsUncertain(id)) {
          deps_.book.ForgetWhenSettled(*idempotency_key, id);
        } else {
          deps_.book.Forget(*idempotency_key);
        }
      }
      const auto order = persisted ? deps_.book.Find(id) : std::nullopt;
      reply({persisted ? CommandResult::Kind::kCreated : CommandResult::Kind::kUnavailable, order, std::nullopt});
      deps_.book.Release(id);
    });
  };
  if (!deps_.book.RunExclusive(order_id, std::move(work))) {
    if (idempotency_key && !retry) deps_.book.Forget(*idempotency_key);
    reply({CommandResult::Kind::kBusy, std::nullopt, std::nullopt});
  }
}

void CommandProcessor::ChangeStatus(domain::ChangeStatus command, Reply reply) {
  const std::string order_id = command.order_id;
  auto work = [this, command = std::move(command), reply]() mutable {
    const std::string id = command.order_id;
    std::optional<platform::Partition> partition;
    if (RefusedBeforeDeciding(id, domain::Validate(command).empty(), partition, std::nullopt, reply)) return;
    const auto state = deps_.book.Find(id);
    auto decision = domain::Decide(state, command, deps_.now());
    if (!decision.accepted()) {
      reply({CommandResult::Kind::kRejected, std::nullopt, std::move(decision.rejection)});
      deps_.book.Release(id);
      return;
    }
    if (decision.events.empty()) {  // already in that status
      reply({CommandResult::Kind::kOk, state, std::nullopt});
      deps_.book.Release(id);
      return;
    }
    Append(decision.events.front(), *partition, {}, [this, id, reply](bool persisted) {
      const auto order = persisted ? deps_.book.Find(id) : std::nullopt;
      reply({persisted ? CommandResult::Kind::kOk : CommandResult::Kind::kUnavailable, order, std::nullopt});
      deps_.book.Release(id);
    });
  };
  if (!deps_.book.RunExclusive(order_id, std::move(work))) {
    reply({CommandResult::Kind::kBusy, std::nullopt, std::nullopt});
  }
}

}  // namespace orders::command

#include <orders/command/command_processor.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include <orders/command/request_parser.hpp>

namespace orders::command {

namespace {

constexpr const char* kNoSuchOrder = "No order with this orderId.";

domain::Rejection Forbidden(std::string detail) {
  return {domain::RejectionKind::kForbidden, std::move(detail), {}, {}};
}

// The permission table's verdict as a refusal: hidden orders are answered as
// missing ones, so a caller learns nothing about orders it may not see.
std::optional<domain::Rejection> RefusalOf(domain::Verdict verdict, std::string forbidden_detail) {
  switch (verdict) {
    case domain::Verdict::kAllowed:
      return std::nullopt;
    case domain::Verdict::kHidden:
      return domain::Rejection{domain::RejectionKind::kNotFound, kNoSuchOrder, {}, {}};
    case domain::Verdict::kForbidden:
      break;
  }
  return Forbidden(std::move(forbidden_detail));
}

// With the workflow on, only cancelling is left to people while an order is pending.
std::optional<domain::Rejection> AwaitingPayment(const domain::Order& order, domain::Status to) {
  if (order.status != domain::Status::kPending || to == domain::Status::kPending || to == domain::Status::kCancelled) {
    return std::nullopt;
  }
  return domain::Rejection{domain::RejectionKind::kTransitionNotAllowed,
                           "This order awaits stock and payment: it is confirmed by the fulfilment workflow and may "
                           "only be cancelled until then.",
                           {},
                           "awaiting-payment"};
}

std::string ForbiddenMoveDetail(const domain::Actor& actor) {
  if (actor.role == domain::ActorRole::kCustomer) return "A customer may only cancel its own orders.";
  return "A courier may only move orders assigned to it to out_for_delivery or delivered.";
}

}  // namespace

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

ChainedAppend CommandProcessor::Chained(const domain::Event& event, platform::Partition partition,
                                        codec::EventMetadata metadata, std::function<void(bool)> on_done) {
  metadata.event_id = deps_.new_id();
  metadata.source = deps_.source;
  auto record = codec::EncodeEvent(event, metadata);
  return {std::move(record), [this, event, metadata, partition, on_done = std::move(on_done)](Appended appended) {
            if (appended.outcome == AppendOutcome::kPersisted &&
                deps_.book.Apply(event, metadata) == domain::ApplyOutcome::kApplied && appended.offset &&
                deps_.own_appends) {
              deps_.own_appends->Folded(partition, *appended.offset);
            }
            if (appended.outcome == AppendOutcome::kUnknown) {
              deps_.book.MarkUncertain(domain::OrderIdOf(event));
            }
            on_done(appended.outcome == AppendOutcome::kPersisted);
          }};
}

void CommandProcessor::Append(const domain::Event& event, platform::Partition partition, codec::EventMetadata metadata,
                              std::function<void(bool)> on_done) {
  auto link = Chained(event, partition, std::move(metadata), std::move(on_done));
  deps_.appender.Append(link.record, partition, std::move(link.done));
}

std::string CommandProcessor::NewOrderId(const std::optional<std::string>& idempotency_key) const {
  return deps_.new_order_id ? deps_.new_order_id(idempotency_key) : deps_.new_id();
}

void CommandProcessor::Place(domain::PlaceOrder command, std::optional<std::string> idempotency_key,
                             const Caller& caller, Reply reply) {
  if (auto refused = RefusalOf(domain::MayPlace(caller.actor, command.customer_id),
                               "A customer may only place orders for itself.")) {
    reply({CommandResult::Kind::kRejected, std::nullopt, std::move(refused)});
    return;
  }
  std::optional<std::string> request_hash;
  bool retry = false;
  if (idempotency_key) {
    request_hash = RequestHash(command);  // before an orderId is generated
    if (command.order_id.empty()) command.order_id = NewOrderId(idempotency_key);
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
    command.order_id = NewOrderId(std::nullopt);
  }

  const std::string order_id = command.order_id;
  auto work = [this, command = std::move(command), idempotency_key, request_hash, retry, audit = caller.audit,
               trace = caller.trace_parent, reply]() mutable {
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
    metadata.actor = audit;
    metadata.trace_parent = trace;
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

void CommandProcessor::RunOnOrder(const std::string& order_id, bool valid, Permit permit, Decider decide,
                                  EventLabels labels, Reply reply, FollowUp then) {
  auto nothing_followed = [then] {
    if (then.reply) then.reply({CommandResult::Kind::kOk, std::nullopt, std::nullopt});
  };
  auto work = [this, order_id, valid, permit = std::move(permit), decide = std::move(decide),
               labels = std::move(labels), reply, then, nothing_followed]() mutable {
    std::optional<platform::Partition> partition;
    if (RefusedBeforeDeciding(order_id, valid, partition, std::nullopt, reply)) return nothing_followed();
    const auto state = deps_.book.Find(order_id);
    // Invalid commands and missing orders are Decide's answer (400, 404); the
    // permission is checked on the state this command has to itself, so a
    // courier's right to an order cannot change between the check and the append.
    auto refused = valid && state ? permit(*state) : std::nullopt;
    auto decision = refused ? domain::Decision{{}, std::move(refused)} : decide(state);
    if (!decision.accepted()) {
      reply({CommandResult::Kind::kRejected, std::nullopt, std::move(decision.rejection)});
      deps_.book.Release(order_id);
      return nothing_followed();
    }
    if (decision.events.empty()) {  // nothing to change (same status, same courier, declined before)
      reply({CommandResult::Kind::kOk, state, std::nullopt});
      deps_.book.Release(order_id);
      return nothing_followed();
    }
    codec::EventMetadata metadata;
    metadata.actor = labels.audit;
    metadata.trace_parent = labels.trace_parent;
    const auto& first = decision.events.front();
    auto followed = then.next && state ? FollowingEvent(*state, first, then) : std::nullopt;
    if (!followed) {
      Append(first, *partition, metadata, [this, order_id, reply, nothing_followed](bool persisted) {
        reply(AfterAppend(order_id, persisted));
        deps_.book.Release(order_id);
        nothing_followed();
      });
      return;
    }
    AppendWithFollowUp(first, *followed, *partition, std::move(metadata), reply, then.reply);
  };
  if (!deps_.book.RunExclusive(order_id, std::move(work))) {
    reply({CommandResult::Kind::kBusy, std::nullopt, std::nullopt});
    nothing_followed();
  }
}

CommandResult CommandProcessor::AfterAppend(const std::string& order_id, bool persisted) const {
  if (!persisted) return {CommandResult::Kind::kUnavailable, std::nullopt, std::nullopt};
  return {CommandResult::Kind::kOk, deps_.book.Find(order_id), std::nullopt};
}

std::optional<domain::Event> CommandProcessor::FollowingEvent(domain::Order order, const domain::Event& first,
                                                              const FollowUp& then) const {
  std::optional<domain::Order> after = std::move(order);
  if (domain::Apply(after, first) != domain::ApplyOutcome::kApplied) return std::nullopt;
  const auto command = then.next(*after);
  if (!command) return std::nullopt;
  auto decision = domain::Decide(*after, *command, deps_.now());
  if (!decision.accepted() || decision.events.empty()) return std::nullopt;
  return std::move(decision.events.front());
}

void CommandProcessor::AppendWithFollowUp(const domain::Event& first, const domain::Event& second,
                                          platform::Partition partition, codec::EventMetadata metadata, Reply reply,
                                          Reply follow_up_reply) {
  // Both answers are in before the order is let go; they may come in either order (a refusal to queue the
  // second comes before the first is acknowledged).
  struct Pair {
    std::mutex mutex;
    int waiting = 2;
    CommandResult second;
  };
  auto pair = std::make_shared<Pair>();
  const std::string order_id = domain::OrderIdOf(first);
  auto answered = [this, pair, order_id, follow_up_reply = std::move(follow_up_reply)] {
    CommandResult result;
    {
      std::lock_guard lock(pair->mutex);
      if (--pair->waiting > 0) return;
      result = std::move(pair->second);
    }
    deps_.book.Release(order_id);
    if (follow_up_reply) follow_up_reply(std::move(result));
  };
  codec::EventMetadata next_metadata = metadata;
  next_metadata.trace_parent = NextSpan(metadata.trace_parent);  // the follow-up is a step of its own
  std::vector<ChainedAppend> chain;
  chain.push_back(Chained(first, partition, std::move(metadata), [this, order_id, reply, answered](bool persisted) {
    reply(AfterAppend(order_id, persisted));
    answered();
  }));
  chain.push_back(
      Chained(second, partition, std::move(next_metadata), [this, pair, order_id, answered](bool persisted) {
        CommandResult result = AfterAppend(order_id, persisted);
        {
          std::lock_guard lock(pair->mutex);
          pair->second = std::move(result);
        }
        answered();
      }));
  deps_.appender.AppendInOrder(std::move(chain), partition);
}

void CommandProcessor::ChangeStatus(domain::ChangeStatus command, const Caller& caller, Reply reply) {
  const bool valid = domain::Validate(command).empty();
  const std::string order_id = command.order_id;
  auto permit = [actor = caller.actor, to = command.to, workflow = deps_.workflow](const domain::Order& order) {
    auto refused = RefusalOf(domain::MayChangeStatus(actor, order, to), ForbiddenMoveDetail(actor));
    if (!refused && workflow) refused = AwaitingPayment(order, to);
    return refused;
  };
  auto decide = [this, command = std::move(command)](const std::optional<domain::Order>& state) {
    return domain::Decide(state, command, deps_.now());
  };
  RunOnOrder(order_id, valid, std::move(permit), std::move(decide), {caller.audit, caller.trace_parent},
             std::move(reply));
}

void CommandProcessor::AssignCourier(domain::AssignCourier command, const Caller& caller, Reply reply) {
  command.by = AssignedByOf(caller.actor);
  const bool valid = domain::Validate(command).empty();
  const std::string order_id = command.order_id;
  auto permit = [actor = caller.actor, courier_id = command.courier_id](const domain::Order& order) {
    return RefusalOf(domain::MayHandleDelivery(actor, order, courier_id),
                     actor.role == domain::ActorRole::kCourier ? "A courier accepts deliveries for itself only."
                                                               : "Only couriers and staff handle deliveries.");
  };
  auto decide = [this, command = std::move(command)](const std::optional<domain::Order>& state) {
    return domain::Decide(state, command, deps_.now());
  };
  RunOnOrder(order_id, valid, std::move(permit), std::move(decide), {caller.audit, caller.trace_parent},
             std::move(reply));
}

void CommandProcessor::UnassignCourier(domain::UnassignCourier command, const Caller& caller, Reply reply) {
  const bool by_courier = caller.actor.role == domain::ActorRole::kCourier;
  if (by_courier) command.courier_id = caller.actor.id;  // releasing: only its own (Decide)
  const bool valid = domain::Validate(command).empty();
  const std::string order_id = command.order_id;
  auto permit = [actor = caller.actor](const domain::Order& order) {
    return RefusalOf(domain::MayHandleDelivery(actor, order, actor.id), "Only couriers and staff handle deliveries.");
  };
  auto decide = [this, command = std::move(command)](const std::optional<domain::Order>& state) {
    return domain::Decide(state, command, deps_.now());
  };
  RunOnOrder(order_id, valid, std::move(permit), std::move(decide), {caller.audit, caller.trace_parent},
             std::move(reply));
}

void CommandProcessor::DeclineDelivery(domain::DeclineDelivery command, const Caller& caller, Reply reply) {
  if (domain::IsStaffOrService(caller.actor)) {
    // Staff have nothing to decline: they unassign (DELETE /orders/{id}/courier) or assign someone else.
    reply({CommandResult::Kind::kRejected, std::nullopt,
           Forbidden("Only couriers decline deliveries; staff assign or unassign them.")});
    return;
  }
  command.courier_id = caller.actor.id;
  const bool valid = domain::Validate(command).empty();
  const std::string order_id = command.order_id;
  auto permit = [actor = caller.actor](const domain::Order& order) {
    return RefusalOf(domain::MayHandleDelivery(actor, order, actor.id), "Only couriers decline deliveries.");
  };
  auto decide = [this, command = std::move(command)](const std::optional<domain::Order>& state) {
    return domain::Decide(state, command, deps_.now());
  };
  RunOnOrder(order_id, valid, std::move(permit), std::move(decide), {caller.audit, caller.trace_parent},
             std::move(reply));
}

template <typename Command>
void CommandProcessor::RunForWorkflow(Command command, std::string audit, Reply reply, FollowUp then) {
  const std::string order_id = command.order_id;
  auto decide = [this, command = std::move(command)](const std::optional<domain::Order>& state) {
    return domain::Decide(state, command, deps_.now());
  };
  RunOnOrder(
      order_id, true, [](const domain::Order&) { return std::optional<domain::Rejection>(); }, std::move(decide),
      WorkflowLabels(order_id, std::move(audit)), std::move(reply), std::move(then));
}

EventLabels CommandProcessor::WorkflowLabels(const std::string& order_id, std::string audit) const {
  return {std::move(audit), NextSpan(deps_.book.TraceOf(order_id))};
}

void CommandProcessor::MoveForWorkflow(domain::ChangeStatus command, std::string audit, Reply reply) {
  RunForWorkflow(std::move(command), std::move(audit), std::move(reply));
}
void CommandProcessor::RecordPayment(domain::RecordPaymentAuthorized command, std::string audit, Reply reply,
                                     FollowUp then) {
  RunForWorkflow(std::move(command), std::move(audit), std::move(reply), std::move(then));
}
void CommandProcessor::RecordPayment(domain::RecordPaymentDeclined command, std::string audit, Reply reply) {
  RunForWorkflow(std::move(command), std::move(audit), std::move(reply));
}
void CommandProcessor::RecordPayment(domain::RecordPaymentRefunded command, std::string audit, Reply reply) {
  RunForWorkflow(std::move(command), std::move(audit), std::move(reply));
}

}  // namespace orders::command

#include <orders/command/inventory_processor.hpp>

namespace orders::command {

namespace {

// The order a workflow command is about; none for a stock count.
template <typename Command>
std::string OrderOf(const Command& command) {
  if constexpr (requires { command.order_id; }) {
    return command.order_id;
  } else {
    return {};
  }
}

}  // namespace

template <typename Command>
void InventoryProcessor::Submit(Command command, EventLabels labels, StockReply reply) {
  const bool valid = domain::Validate(command).empty();
  const std::string product_id = command.product_id;
  const std::string order_id = OrderOf(command);
  Run(
      product_id, order_id, valid,
      [this, command = std::move(command)](const auto& state) { return domain::Decide(state, command, deps_.now()); },
      std::move(labels), std::move(reply));
}

void InventoryProcessor::SetStock(domain::SetStock command, const Caller& caller, StockReply reply) {
  if (!domain::MaySetStock(caller.actor)) {
    reply({StockResult::Kind::kRejected,
           std::nullopt,
           {},
           domain::Rejection{domain::RejectionKind::kForbidden, "Only staff and services set stock levels.", {}, {}},
           std::nullopt});
    return;
  }
  Submit(std::move(command), {caller.audit, caller.trace_parent}, std::move(reply));
}

void InventoryProcessor::Reserve(domain::ReserveStock command, std::optional<std::string> audit, StockReply reply) {
  EventLabels labels{std::move(audit), deps_.trace_of ? NextSpan(deps_.trace_of(command.order_id)) : std::nullopt};
  Submit(std::move(command), std::move(labels), std::move(reply));
}

void InventoryProcessor::Release(domain::ReleaseStock command, std::optional<std::string> audit, StockReply reply) {
  EventLabels labels{std::move(audit), deps_.trace_of ? NextSpan(deps_.trace_of(command.order_id)) : std::nullopt};
  Submit(std::move(command), std::move(labels), std::move(reply));
}

void InventoryProcessor::Commit(domain::CommitStock command, std::optional<std::string> audit, StockReply reply) {
  EventLabels labels{std::move(audit), deps_.trace_of ? NextSpan(deps_.trace_of(command.order_id)) : std::nullopt};
  Submit(std::move(command), std::move(labels), std::move(reply));
}

void InventoryProcessor::Run(const std::string& product_id, const std::string& order_id, bool valid, Decider decide,
                             EventLabels labels, StockReply reply) {
  auto work = [this, product_id, order_id, valid, decide = std::move(decide), labels = std::move(labels), reply]() {
    // The answer: the counts, and for a workflow command where the order's reservation stands.
    auto answer = [this, product_id, order_id](std::vector<domain::StockEvent> events) {
      StockResult result{StockResult::Kind::kOk, deps_.book.Level(product_id), std::move(events), std::nullopt,
                         std::nullopt};
      if (!order_id.empty()) result.reservation = deps_.book.ReservationOf(product_id, order_id);
      return result;
    };
    auto refuse = [&](StockResult::Kind kind) {
      reply({kind, std::nullopt, {}, std::nullopt, std::nullopt});
      deps_.book.Release(product_id);
    };
    std::optional<platform::Partition> partition;
    // Invalid commands go on: Decide refuses them, whoever owns the product.
    if (valid) {
      if (deps_.book.IsUncertain(product_id)) return refuse(StockResult::Kind::kUnavailable);
      partition = deps_.writable_partition(product_id);
      if (!partition) return refuse(StockResult::Kind::kNotOwner);
    }
    auto decision = deps_.book.Decide(product_id, decide);
    if (!decision.accepted()) {
      reply({StockResult::Kind::kRejected, std::nullopt, {}, std::move(decision.rejection), std::nullopt});
      deps_.book.Release(product_id);
      return;
    }
    if (decision.events.empty()) {
      reply(answer({}));
      deps_.book.Release(product_id);
      return;
    }
    const domain::StockEvent event = decision.events.front();
    codec::EventMetadata metadata;
    metadata.event_id = deps_.new_id();
    metadata.source = deps_.source;
    metadata.actor = labels.audit;
    metadata.trace_parent = labels.trace_parent;
    deps_.appender.Append(codec::EncodeEvent(event, metadata), *partition,
                          [this, product_id, event, reply, answer, partition = *partition](Appended appended) {
                            const auto outcome = appended.outcome;
                            if (outcome == AppendOutcome::kPersisted &&
                                deps_.book.Apply(event) == domain::ApplyOutcome::kApplied && appended.offset &&
                                deps_.own_appends) {
                              deps_.own_appends->Folded(partition, *appended.offset);
                            }
                            if (outcome == AppendOutcome::kUnknown) deps_.book.MarkUncertain(product_id);
                            if (outcome == AppendOutcome::kPersisted) {
                              reply(answer({event}));
                            } else {
                              reply({StockResult::Kind::kUnavailable, std::nullopt, {}, std::nullopt, std::nullopt});
                            }
                            deps_.book.Release(product_id);
                          });
  };
  if (!deps_.book.RunExclusive(product_id, std::move(work))) {
    reply({StockResult::Kind::kBusy, std::nullopt, {}, std::nullopt, std::nullopt});
  }
}

}  // namespace orders::command

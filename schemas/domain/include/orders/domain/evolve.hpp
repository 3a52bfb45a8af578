#pragma once
// Evolve: folds events into order state. Every consumer of the log (command
// state, read model, notifier) applies events through Apply() so that a
// redelivered, stale or out-of-order event is recognised the same way
// everywhere (the version guard).

#include <optional>

#include <orders/domain/events.hpp>

namespace orders::domain {

enum class ApplyOutcome {
  kApplied,    // event.version == state.version + 1 (or first event on empty state)
  kDuplicate,  // event.version <= state.version: already folded, ignored
  kGap,        // event.version > state.version + 1: an earlier event is missing
  kInvalid,    // cannot apply (status change on a missing order, placed twice...)
};

// Applies `event` to `state` in place when the outcome is kApplied; otherwise
// leaves `state` untouched.
ApplyOutcome Apply(std::optional<Order>& state, const Event& event);

}  // namespace orders::domain

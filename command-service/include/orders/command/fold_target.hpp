#pragma once
// What a LogFollower folds its topic into: the order book (orders topic) or
// the stock book (inventory topic). Each decodes its records with its own
// codec and applies them with its own version guard; the follower only reads,
// counts and settles unknown outcomes. Called on the follower's thread.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <orders/domain/evolve.hpp>
#include <orders/platform/kafka_consumer.hpp>

namespace orders::command {

struct Folded {
  bool decoded = false;
  std::string error;  // why it could not be decoded
  domain::ApplyOutcome outcome = domain::ApplyOutcome::kApplied;
  std::string event_id;
  std::string stream_id;                       // the order or product the record is about
  std::optional<std::string> idempotency_key;  // a placement's
};

class FoldTarget {
 public:
  virtual ~FoldTarget() = default;

  virtual Folded Fold(const platform::ConsumedRecord& record) = 0;
  virtual bool HasUncertain() const = 0;
  virtual void ClearUncertainBefore(std::chrono::steady_clock::time_point cutoff) = 0;

  // For logs: what the streams are ("orders"), how many there are, and the key's name ("orderId").
  virtual std::string_view StreamsName() const = 0;
  virtual std::size_t StreamCount() const = 0;
  virtual std::string_view KeyName() const = 0;
};

}  // namespace orders::command

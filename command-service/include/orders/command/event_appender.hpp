#pragma once
// Where accepted events go: the log. The Kafka implementation answers only
// after the broker acknowledged the record (acks=all); tests use a fake.

#include <cstdint>
#include <functional>
#include <optional>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/partition_offsets.hpp>

namespace orders::command {

enum class AppendOutcome {
  kPersisted,  // in the log
  kFailed,     // definitely not in the log
  kUnknown,    // may be in the log: the order must not take commands until the log says
};

struct Appended {
  AppendOutcome outcome;
  std::optional<platform::Offset> offset;  // where the record landed, when persisted and known
};

class EventAppender {
 public:
  virtual ~EventAppender() = default;
  // Calls `done` exactly once, possibly on another thread, possibly before
  // Append returns.
  virtual void Append(const codec::EventRecord& record, platform::Partition partition,
                      std::function<void(Appended)> done) = 0;
};

}  // namespace orders::command

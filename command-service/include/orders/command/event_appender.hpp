#pragma once
// Where accepted events go: the log. The Kafka implementation answers only
// after the broker acknowledged the record (acks=all); tests use a fake.

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

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

// One record of a chain (AppendInOrder) and who hears of it.
struct ChainedAppend {
  codec::EventRecord record;
  std::function<void(Appended)> done;
};

class EventAppender {
 public:
  virtual ~EventAppender() = default;
  // Calls `done` exactly once, possibly on another thread, possibly before
  // Append returns.
  virtual void Append(const codec::EventRecord& record, platform::Partition partition,
                      std::function<void(Appended)> done) = 0;
  // Appends `chain` to `partition` in its order: no record is in the log
  // unless every one before it is, so a record may state what only holds
  // after the earlier ones. Each `done` is called exactly once; a record after
  // one that failed is not appended (kFailed). This version appends each only
  // once the one before it was acknowledged; the Kafka appender hands them to
  // the producer together.
  virtual void AppendInOrder(std::vector<ChainedAppend> chain, platform::Partition partition);
};

}  // namespace orders::command

#pragma once
// What a LogFollower keeps its fold in when there is a state store
// (COMMAND_STATE_DIR): OrderSnapshots for the orders topic, StockSnapshots for
// the inventory topic. The follower only says when: before the first record
// (Resume), for every record (Folded), after every poll (Tick) and at its stop
// (Flush). Each implementation checks its checkpoint, loads its states, logs
// what it loaded and writes its batches. Called on the follower's thread.

#include <chrono>
#include <optional>
#include <string>

#include <orders/platform/partition_offsets.hpp>

namespace orders::command {

class FoldSnapshots {
 public:
  virtual ~FoldSnapshots() = default;

  // nullopt: read the topic from the beginning (no usable checkpoint; the stream's store was cleared).
  // `begin_offsets`: each partition's first offset (none given: nothing was deleted).
  virtual std::optional<platform::PartitionOffsets> Resume(const platform::PartitionOffsets& end_offsets,
                                                           const platform::PartitionOffsets& begin_offsets) = 0;
  // Whether the last Resume loaded the store (and the follower read only the tail).
  virtual bool Resumed() const = 0;
  // A record about `stream_id` was read (folded, or passed over as an own append).
  virtual void Folded(const std::string& stream_id, const std::optional<std::string>& idempotency_key) = 0;
  virtual void Tick(std::chrono::steady_clock::time_point now, const platform::PartitionOffsets& positions) = 0;
  // Writes what changed now, whatever the interval, and persists it (the follower's last tick before a stop).
  virtual void Flush(const platform::PartitionOffsets& positions) = 0;
};

}  // namespace orders::command

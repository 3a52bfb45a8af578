#pragma once
// Appends a log marker (orders/platform/log_marker.hpp) to every partition of
// a topic through the service's idempotent producer, and reports where each
// landed. The producer keeps one partition's records in order and, once it has
// moved on, fences its own older attempts, so an acknowledged marker follows
// every earlier append of ours to that partition that will ever be in the log.

#include <functional>
#include <optional>

#include <orders/platform/partition_offsets.hpp>

namespace orders::command {

class LogMarkers {
 public:
  // Each partition's marker offset, or nullopt when any marker was not acknowledged.
  using Done = std::function<void(std::optional<platform::PartitionOffsets>)>;
  virtual ~LogMarkers() = default;
  // Calls `done` exactly once, possibly on another thread, possibly before returning.
  virtual void AppendMarkers(platform::Partition partition_count, Done done) = 0;
};

}  // namespace orders::command

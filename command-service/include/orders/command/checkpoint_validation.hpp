#pragma once
// Whether a stored checkpoint still describes a prefix of the topic it is
// about to be resumed on. A store that does not is discarded and the topic
// replayed from the beginning (once, with the reason logged):
//   - it was written for another topic name;
//   - the topic has another number of partitions (keys moved between them);
//   - a checkpoint lies beyond the partition's end offset (the topic was
//     deleted and created again, or truncated: the stored state folds records
//     that are no longer there);
//   - a checkpoint lies before the partition's first offset (retention deleted
//     records the store never folded: its tail is no longer in the log).
// A checkpoint that is merely behind (records were appended since) is the
// normal case: those records are the tail to replay.

#include <optional>
#include <string>
#include <string_view>

#include <orders/command/command_state_store.hpp>
#include <orders/platform/partition_offsets.hpp>

namespace orders::command {

struct CheckpointVerdict {
  bool resume = false;               // false: replay from the beginning
  std::string discard_reason;        // set when a stored checkpoint is refused; empty for "no store yet"
  platform::PartitionOffsets start;  // when resuming: where each partition's tail starts
  std::int64_t records_behind = 0;   // when resuming: end offsets minus the checkpoint (markers included)
};

// `end_offsets`: the topic's partitions and their end offsets, read just now;
// `begin_offsets`: their first offsets (a partition left out: from 0).
CheckpointVerdict ValidateCheckpoint(const std::optional<StateCheckpoint>& checkpoint, std::string_view topic,
                                     const platform::PartitionOffsets& end_offsets,
                                     const platform::PartitionOffsets& begin_offsets = {});

}  // namespace orders::command

#include <orders/command/checkpoint_validation.hpp>

namespace orders::command {

CheckpointVerdict ValidateCheckpoint(const std::optional<StateCheckpoint>& checkpoint, std::string_view topic,
                                     const platform::PartitionOffsets& end_offsets,
                                     const platform::PartitionOffsets& begin_offsets) {
  CheckpointVerdict verdict;
  if (!checkpoint) return verdict;
  const auto refuse = [&verdict](std::string reason) {
    verdict.discard_reason = std::move(reason);
    return verdict;
  };
  if (checkpoint->topic != topic) {
    return refuse("the store was written for topic " + checkpoint->topic + ", not " + std::string(topic));
  }
  if (checkpoint->next_offsets.size() != end_offsets.size()) {
    return refuse("the topic has " + std::to_string(end_offsets.size()) + " partitions, the store was written for " +
                  std::to_string(checkpoint->next_offsets.size()));
  }
  platform::PartitionOffsets start;
  std::int64_t behind = 0;
  for (const auto& [partition, end] : end_offsets) {
    if (partition < 0 || static_cast<std::size_t>(partition) >= checkpoint->next_offsets.size()) {
      return refuse("the topic's partition " + std::to_string(partition) + " is not in the store");
    }
    const auto next = checkpoint->next_offsets[static_cast<std::size_t>(partition)];
    if (next < 0 || next > end) {
      return refuse("the store's checkpoint " + std::to_string(next) + " of partition " + std::to_string(partition) +
                    " is beyond the topic's end offset " + std::to_string(end) + " (topic recreated?)");
    }
    const auto first = begin_offsets.find(partition);
    if (first != begin_offsets.end() && next < first->second) {
      return refuse("the store's checkpoint " + std::to_string(next) + " of partition " + std::to_string(partition) +
                    " is before the topic's first offset " + std::to_string(first->second) +
                    " (records the store never saw were deleted by retention)");
    }
    start[partition] = next;
    behind += end - next;
  }
  verdict.resume = true;
  verdict.start = std::move(start);
  verdict.records_behind = behind;
  return verdict;
}

}  // namespace orders::command

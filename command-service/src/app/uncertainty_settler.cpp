#include <orders/command/uncertainty_settler.hpp>

#include <orders/platform/log_tail.hpp>

namespace orders::command {

std::optional<UncertaintySettler::Clock::time_point> UncertaintySettler::Tick(
    Clock::time_point now, bool has_uncertain, platform::Partition partition_count,
    const platform::PartitionOffsets& positions) {
  if (round_) {
    std::optional<platform::PartitionOffsets> markers;
    {
      std::lock_guard lock(round_->mutex);
      if (!round_->answered) return std::nullopt;
      markers = round_->markers;
    }
    if (!markers) {
      round_.reset();
      next_round_ = now + kRetryAfter;
      return std::nullopt;
    }
    platform::PartitionOffsets past_markers;
    for (const auto& [partition, offset] : *markers) past_markers[partition] = offset + 1;
    if (!platform::Reached(positions, past_markers)) return std::nullopt;
    const auto cutoff = round_->cutoff;
    round_.reset();
    return cutoff;
  }
  if (!has_uncertain || partition_count <= 0 || now < next_round_) return std::nullopt;
  auto round = std::make_shared<Round>();
  round->cutoff = now;
  round_ = round;
  markers_.AppendMarkers(partition_count, [round](std::optional<platform::PartitionOffsets> markers) {
    std::lock_guard lock(round->mutex);
    round->answered = true;
    round->markers = std::move(markers);
  });
  return std::nullopt;
}

}  // namespace orders::command

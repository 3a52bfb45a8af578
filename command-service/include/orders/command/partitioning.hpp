#pragma once
// Which partition an order's events go to. The command service chooses the
// partition itself (rather than librdkafka's partitioner) so that it can own
// partitions: an instance writes only orders of partitions it owns.

#include <cstdint>
#include <string_view>

namespace orders::command {

// FNV-1a (64-bit) of the order id, modulo the partition count. Stable across
// releases: changing it would split an order's events over two partitions.
inline std::int32_t PartitionOf(std::string_view order_id, std::int32_t partitions) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : order_id) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return static_cast<std::int32_t>(hash % static_cast<std::uint64_t>(partitions));
}

}  // namespace orders::command

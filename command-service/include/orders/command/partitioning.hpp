#pragma once
// Which partition an order's events go to. The command service chooses the
// partition itself (rather than librdkafka's partitioner) so that it can own
// partitions: an instance writes only orders of partitions it owns.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
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

// A fresh order id (from `new_uuid`) whose partition is one `wanted` accepts:
// where this instance can write, or the partition an Idempotency-Key maps to.
// Random ids fall into a wanted partition at the rate of wanted partitions
// among all, so `max_tries` ids are drawn at most; the last one drawn is
// returned when none fell into one (the command is then refused as not owned).
inline std::string NewOrderIdWhere(const std::function<std::string()>& new_uuid,
                                   const std::function<bool(std::int32_t partition)>& wanted, std::int32_t partitions,
                                   int max_tries = 256) {
  std::string id = new_uuid();
  if (partitions <= 0) return id;
  for (int tries = 1; tries < max_tries && !wanted(PartitionOf(id, partitions)); ++tries) id = new_uuid();
  return id;
}

// The id of a new order placed without one. With an Idempotency-Key, in the
// partition the key maps to: every retry of the request then meets the same
// writer, which holds the key, whichever instance it reaches first (another
// instance refuses it as not its own instead of placing a second order).
// Without a key, in a partition this instance can write (`writable`), so that
// it can place it itself.
inline std::string NewOrderId(const std::function<std::string()>& new_uuid,
                              const std::optional<std::string>& idempotency_key, std::int32_t partitions,
                              const std::function<bool(std::int32_t partition)>& writable) {
  if (idempotency_key && partitions > 0) {
    const auto target = PartitionOf(*idempotency_key, partitions);
    return NewOrderIdWhere(
        new_uuid, [target](std::int32_t partition) { return partition == target; }, partitions);
  }
  return NewOrderIdWhere(new_uuid, writable, partitions);
}

}  // namespace orders::command

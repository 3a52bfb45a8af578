#pragma once
// Which commands of a load run through a round-robin balancer an instance
// answered itself and which it forwarded to the order's writer.
//
// The command service does not say so in its answer (a relayed answer
// carries the writer's ETag, Location and Retry-After, nothing naming the
// hop), so the load tool works it out from what it can see. A TCP balancer
// pins each client connection to one instance for the connection's life,
// and a POST /orders without an id or Idempotency-Key gets an id in a
// partition the receiving instance writes (never forwarded). So the
// partitions of the orders created over a connection are the partitions its
// instance writes; a later command on that connection for an order of one of
// those partitions was answered locally, any other was forwarded. Order ids
// map to partitions as the service maps them (orders::command::PartitionOf).
//
// Assumes the owners do not change during the run (steady state: no
// instance joins or leaves); a connection that created no order yet cannot
// be judged (kUnknown).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <orders/command/partitioning.hpp>

namespace orders::bench {

enum class Route { kLocal, kForwarded, kUnknown };

class ConnectionRoutes {
 public:
  ConnectionRoutes(std::size_t connections, std::int32_t partitions) : partitions_(partitions), written_(connections) {}

  std::int32_t PartitionOf(std::string_view order_id) const { return command::PartitionOf(order_id, partitions_); }

  // An order placed (201, id chosen by the instance) over `connection`.
  void Created(std::size_t connection, std::string_view order_id) {
    if (connection < written_.size() && partitions_ > 0) written_[connection].insert(PartitionOf(order_id));
  }

  // How a command for `order_id` sent over `connection` reached the order's writer.
  Route RouteOf(std::size_t connection, std::string_view order_id) const {
    if (connection >= written_.size() || partitions_ <= 0 || written_[connection].empty()) return Route::kUnknown;
    return written_[connection].count(PartitionOf(order_id)) ? Route::kLocal : Route::kForwarded;
  }

  // The partitions the instance behind `connection` was seen to write.
  const std::set<std::int32_t>& WrittenBy(std::size_t connection) const { return written_.at(connection); }

 private:
  std::int32_t partitions_;
  std::vector<std::set<std::int32_t>> written_;
};

// "9001,9002,9003" -> ports; nullopt when any entry is not a port number (1..65535) or the list is empty.
inline std::optional<std::vector<std::uint16_t>> ParsePortList(std::string_view text) {
  std::vector<std::uint16_t> ports;
  while (true) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    if (item.empty() || item.size() > 5) return std::nullopt;
    std::uint32_t value = 0;
    for (const char c : item) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    ports.push_back(static_cast<std::uint16_t>(value));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return ports;
}

}  // namespace orders::bench

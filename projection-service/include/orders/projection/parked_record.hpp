#pragma once
// A record that is kept for people instead of applied (table poison_events):
// undecodable, a version gap, or an event that does not fit its stream's
// state. Shared by the order fold (batch.hpp) and the stock fold
// (stock_fold.hpp).

#include <string>

#include <orders/platform/partition_offsets.hpp>

namespace orders::projection {

struct ParkedRecord {
  std::string topic;
  platform::Partition partition = 0;
  platform::Offset offset = 0;
  std::string key;
  std::string payload;
  std::string error;
  std::string order_id;  // when known, for logs
  enum class Reason { kPoison, kGap, kInvalid } reason = Reason::kPoison;
  std::string product_id;  // when known (inventory records), for logs
};

}  // namespace orders::projection

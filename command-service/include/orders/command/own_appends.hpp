#pragma once
// Records this instance appended and already folded into its own state when
// the broker acknowledged them (the write-through of CommandProcessor and
// InventoryProcessor), so its log follower need not decode and fold them a
// second time when it reads them back: with the fulfilment workflow most of
// what the follower reads is such records.
//
// Only a record folded by its write-through is noted (the book answered
// kApplied). A record the follower read before the acknowledgement came was
// folded by the follower; its offset, noted or not, is behind the follower and
// is forgotten the next time the follower reads that partition. So a record
// is skipped only when the state holds it; anything not noted (an unknown
// outcome, another instance's append, a note dropped at the cap) is decoded
// and folded as usual.

#include <cstddef>
#include <deque>
#include <mutex>
#include <unordered_map>

#include <orders/platform/partition_offsets.hpp>

namespace orders::command {

class OwnAppends {
 public:
  // Notes kept per partition while the follower lags; past it the oldest are
  // dropped (those records are then folded by the follower again, harmlessly).
  explicit OwnAppends(std::size_t max_per_partition = 100000) : max_per_partition_(max_per_partition) {}

  // The record at `offset` was appended by this instance and folded into its
  // state. Any thread.
  void Folded(platform::Partition partition, platform::Offset offset);
  // The follower reached `offset`: whether that record was folded already (its
  // note is then dropped). Notes behind `offset` are dropped too. Any thread.
  bool Take(platform::Partition partition, platform::Offset offset);
  std::size_t NoteCount() const;

 private:
  const std::size_t max_per_partition_;
  mutable std::mutex mutex_;
  // Per partition, in the order the acknowledgements came (offset order: the
  // producer acknowledges a partition's records in order).
  std::unordered_map<platform::Partition, std::deque<platform::Offset>> noted_;
};

}  // namespace orders::command

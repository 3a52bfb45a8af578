#pragma once
// Where webhook dispatch of one partition may resume: the first offset whose
// deliveries are not all resolved (delivered, or kept in the ledger), or the
// next offset to read when everything read so far is resolved. Restarting
// there re-delivers at most what was in flight, never skips an event.

#include <map>
#include <optional>

#include <orders/platform/partition_offsets.hpp>

namespace orders::notifier::webhooks {

class PartitionProgress {
 public:
  // `next`: the offset reading starts from; nullopt when it is not known yet
  // (reading from the end of a partition whose end could not be asked for).
  explicit PartitionProgress(std::optional<platform::Offset> next) : next_(next) {}

  // The record at `offset` was read and left `open` deliveries to resolve.
  void Read(platform::Offset offset, int open);
  // One delivery of the record at `offset` is resolved.
  void Resolve(platform::Offset offset);

  std::optional<platform::Offset> Resume() const;

  // The resume offset when it moved since the last call (what to save), else nullopt.
  std::optional<platform::Offset> TakeChange();

 private:
  std::optional<platform::Offset> next_;
  std::map<platform::Offset, int> open_;
  std::optional<platform::Offset> saved_;
};

}  // namespace orders::notifier::webhooks

#pragma once
// Decides when appends whose outcome was unknown are settled. A timed-out
// append may be in the log or may never be, and waiting does not tell which:
// a record a partition leader holds while it waits for in-sync replicas can be
// committed long after the producer gave up on it. Until it is settled, the
// stream it belongs to takes no command (a second write at the same version
// would follow it into the log).
//
// Proof instead of a guess: once an unknown outcome was reported, the settler
// asks for a marker on every partition (LogMarkers) and waits until the reader
// has read each partition past its marker. Everything of ours appended before
// the markers is then folded or will never appear, so every unknown outcome
// reported before the markers were asked for is settled. While the markers are
// not acknowledged (brokers down, too few in-sync replicas) nothing settles and
// the streams stay refused; a failed round is tried again a second later.
//
// No I/O here: the follower's thread passes its positions on each tick.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include <orders/command/log_markers.hpp>

namespace orders::command {

class UncertaintySettler {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kRetryAfter = std::chrono::seconds(1);

  explicit UncertaintySettler(LogMarkers& markers) : markers_(markers) {}

  // The follower's thread, after each poll. Returns a cutoff when a round
  // settled: every unknown outcome reported before it is settled.
  std::optional<Clock::time_point> Tick(Clock::time_point now, bool has_uncertain, platform::Partition partition_count,
                                        const platform::PartitionOffsets& positions);

 private:
  // One round of markers; answered on the producer's thread.
  struct Round {
    Clock::time_point cutoff;
    std::mutex mutex;
    bool answered = false;
    std::optional<platform::PartitionOffsets> markers;
  };

  LogMarkers& markers_;
  std::shared_ptr<Round> round_;
  Clock::time_point next_round_{};
};

}  // namespace orders::command

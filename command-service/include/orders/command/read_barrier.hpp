#pragma once
// Tells whether a log reader has read everything that was appended before a
// given moment. Another instance writes some streams (products of other
// partitions); before this instance takes "I have no record of it" as an
// answer about such a stream, its reader must have read every record that was
// in the log when the question arose, or it could miss one appended just
// before (a product's first stock count, read a little late, would make a
// tracked product look untracked).
//
// Asked about a moment it has not read through, the barrier notes the wish;
// the reader's thread then queries the end offsets (after that moment: they
// cover every record appended before it) and, once its positions reach them,
// reports the moment as read through. No I/O here: the reader passes its
// positions and a function querying the ends.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>

#include <orders/platform/kafka_consumer.hpp>

namespace orders::command {

class ReadBarrier {
 public:
  using Clock = std::chrono::steady_clock;
  using EndsQuery = std::function<std::optional<platform::PartitionOffsets>()>;

  // Any thread: true when every record appended before `moment` has been read;
  // otherwise asks the reader to make sure of it (Tick answers later).
  bool ReadThrough(Clock::time_point moment);

  // The reader's thread, after each poll, with its positions (next offset per
  // partition). True when a newer moment was just read through: whoever got a
  // false from ReadThrough may ask again.
  bool Tick(Clock::time_point now, const platform::PartitionOffsets& positions, const EndsQuery& query_ends);

 private:
  static Clock::time_point Decode(Clock::rep count) { return Clock::time_point(Clock::duration(count)); }

  // The latest moment read through, and the latest moment asked about.
  std::atomic<Clock::rep> read_through_{Clock::time_point::min().time_since_epoch().count()};
  std::atomic<Clock::rep> wanted_{Clock::time_point::min().time_since_epoch().count()};
  // Reader's thread only: the moment the pending end offsets were queried after, and those ends.
  std::optional<std::pair<Clock::time_point, platform::PartitionOffsets>> pending_;
  Clock::time_point next_query_{};
};

}  // namespace orders::command

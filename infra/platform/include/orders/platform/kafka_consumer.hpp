#pragma once
// A Kafka consumer that never commits offsets to Kafka: each service keeps its
// own position (the projection in PostgreSQL, the command service and the
// notifier in memory). Two ways to get partitions:
//   AssignAll()  every partition of the topic, from the offsets a function
//                gives (each notifier and command-service instance reads all);
//   Subscribe()  a consumer group; on each assignment the PartitionListener
//                says where each partition starts (the projection reads its
//                stored offsets), on revocation it is told first.
// Start offsets are passed to assign() (seek timeouts are broken in 2.0.2).
// All calls, including listener callbacks, happen on the thread calling Poll().

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <orders/platform/kafka_settings.hpp>
#include <orders/platform/partition_offsets.hpp>
#include <orders/platform/result.hpp>

namespace orders::platform {

inline constexpr Offset kOffsetBeginning = -2;  // the first offset in the log (assigned as offset 0)
inline constexpr Offset kOffsetEnd = -1;        // RdKafka::Topic::OFFSET_END

struct ConsumedRecord {
  std::string topic;
  Partition partition = 0;
  Offset offset = 0;
  std::string key;
  std::string value;
  KafkaHeaders headers;
  std::int64_t timestamp_ms = 0;
};

struct PollResult {
  // kMarker: a log marker (log_marker.hpp), not an event: nothing to apply, but the reader's position
  // passes it (a reader that stored only the offsets of events would stay one short of the end).
  enum class Kind { kRecord, kMarker, kTimeout, kPartitionEnd, kError };
  Kind kind = Kind::kTimeout;
  ConsumedRecord record;  // kRecord, kMarker; for kPartitionEnd: topic, partition, offset
  std::string error;      // kError
};

class PartitionListener {
 public:
  virtual ~PartitionListener() = default;
  // Returns the offset to start each newly assigned partition from
  // (kOffsetBeginning when nothing is stored).
  virtual PartitionOffsets OnAssigned(const std::vector<Partition>& partitions) = 0;
  virtual void OnRevoked(const std::vector<Partition>& partitions) = 0;
};

class KafkaConsumer {
 public:
  static Result<std::unique_ptr<KafkaConsumer>> Create(const KafkaSettings& settings);
  ~KafkaConsumer();

  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  // Partition count of `topic`, or nullopt when metadata is unavailable.
  std::optional<int> PartitionCount(const std::string& topic, int timeout_ms);

  Result<void> AssignAll(const std::string& topic, const std::function<Offset(Partition)>& start_offset,
                         int timeout_ms);
  // One partition from `offset`, outside any group (replaces what was assigned).
  Result<void> Assign(const std::string& topic, Partition partition, Offset offset);
  // With `membership_only`, assigned partitions are paused at once: the
  // consumer takes part in the group (partition ownership) but fetches nothing.
  Result<void> Subscribe(const std::string& topic, PartitionListener& listener, bool membership_only = false);

  PollResult Poll(int timeout_ms);

  // High watermarks per partition (the offset the next record will get).
  // Asks the partition leaders: with librdkafka 2.0.2 a query sent to a
  // leader that has just died is retried on it and does not return, whatever
  // `timeout_ms` says, until that broker is back. Not for a loop that must
  // keep running through a broker failure (see CachedEndOffsets).
  std::optional<PartitionOffsets> EndOffsets(const std::string& topic, int timeout_ms);
  // Low watermarks per partition: the first offset still in the log (records
  // before it were deleted by retention or DeleteRecords). Same caveat.
  std::optional<PartitionOffsets> BeginOffsets(const std::string& topic, int timeout_ms);

  // The high watermarks the last fetch responses of `partitions` carried
  // (kept by librdkafka; no request, never blocks). Partitions not fetched
  // yet are left out.
  PartitionOffsets CachedEndOffsets(const std::string& topic, const std::vector<Partition>& partitions);

  // Leaves the group (if any) within `timeout_ms`; closing can hang after a
  // lost partition in 2.0.2, so it runs with a deadline.
  void Close(int timeout_ms);

 private:
  class Rebalancer;
  KafkaConsumer() = default;
  std::optional<PartitionOffsets> Watermarks(const std::string& topic, int timeout_ms, bool high_ones);

  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  bool closed_ = false;
};

}  // namespace orders::platform

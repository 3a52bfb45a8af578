#pragma once
// The batch being built on a consumer thread, and when it goes to the
// BatchApplier: records are decoded as they arrive; the batch is handed over
// when it is due (BatchPolicy) and the applier is free, or when it is full
// (then the consumer waits for the applier). Used by the projector and by the
// rebuild, whose loops are: poll for PollTimeout(), Add() a record or say
// Drained() when the poll found none, then HandOff(). Consumer thread only.

#include <chrono>
#include <cstddef>

#include <orders/platform/kafka_consumer.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/batch_applier.hpp>

namespace orders::projection {

class BatchBuilder {
 public:
  using Clock = std::chrono::steady_clock;

  // Batches of `stream`'s records (decoded with that stream's codec).
  explicit BatchBuilder(BatchPolicy policy, Stream stream = Stream::kOrders) : policy_(policy), stream_(stream) {
    Clear();
  }

  void Add(platform::ConsumedRecord record);
  // The last poll found no record: everything fetched so far is in the batch.
  void Drained() { drained_ = true; }
  // While the consumer catches up (a replay, a backlog: the writers are
  // widened), a batch also waits until it holds `catch_up_records`, nothing
  // more is at hand, or its oldest record has waited kCatchUpMaxWait (a lane
  // whose partitions get few records still moves): fewer, bigger batches write
  // an order spread over the log once rather than once per batch. 0: no such wait.
  static constexpr std::chrono::milliseconds kCatchUpMaxWait{1000};
  void SetCatchUpRecords(std::size_t records) { catch_up_records_ = records; }
  std::size_t size() const { return building_.Size(); }
  // How long the next poll may block (BatchPolicy::PollTimeout). Both this and
  // HandOff run once per record and lane: the loop may read the time once for all lanes.
  std::chrono::milliseconds PollTimeout(const BatchApplier& applier, Clock::time_point now = Clock::now()) const;
  // Hands the batch over if it is time (see above).
  void HandOff(BatchApplier& applier, Clock::time_point now = Clock::now());
  // Hands over whatever is pending, waiting for the applier if need be.
  void Flush(BatchApplier& applier);
  void Clear() {
    building_ = DecodedBatch{};
    building_.stream = stream_;
  }

 private:
  void Submit(BatchApplier& applier);

  BatchPolicy policy_;
  Stream stream_;
  DecodedBatch building_;
  Clock::time_point first_at_{};
  bool drained_ = false;
  std::size_t catch_up_records_ = 0;
};

}  // namespace orders::projection

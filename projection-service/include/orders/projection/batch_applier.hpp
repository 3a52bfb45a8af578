#pragma once
// Applies decoded batches to the read model on its own thread, one at a time
// and in order, so that the consumer thread decodes the next batch while this
// one is written (decoding and PostgreSQL's work overlap). At most one batch
// is in flight: Submit() blocks while the previous one is still being applied,
// and meanwhile the consumer keeps adding to its next batch, so batches grow
// while the store is the bottleneck (a replay) and stay small while it keeps
// up (live traffic).
//
// Every batch is fenced by the stored offsets this applier knows for its
// partitions (offset_fence.hpp). A failed attempt is retried with backoff
// (re-applying is a no-op) until it succeeds, until the store turns out to
// have moved, or until the give-up time of a Drain() passes. After a moved
// store or a batch given up the applier is *halted*: later batches are dropped
// unapplied (they would leave a gap) and Halted() tells the consumer to re-read
// its positions; Assign() resumes.
//
// A batch that meets rows it took as new (ApplyOutcome::kRowsExist: a
// placement repeated in the log, an edited read model) is written again at
// once in WriteMode::kTolerant. A commit in doubt is resolved by re-reading the
// stored offsets (ResolveInDoubt).
//
// Threads: everything public is called by the consumer thread (GiveUpBy() by
// any); batches run on the applier's thread. The store is used by the
// applier's thread only while a batch is in flight, so the consumer thread may
// use it while the applier is drained. Assign() and Forget() only while drained.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <orders/platform/partition_offsets.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/offset_fence.hpp>
#include <orders/projection/projection_metrics.hpp>
#include <orders/projection/read_model_store.hpp>
#include <orders/projection/version_waiters.hpp>

namespace orders::projection {

class BatchApplier {
 public:
  using Clock = std::chrono::steady_clock;

  // `store` must outlive the applier.
  BatchApplier(ReadModelStore& store, VersionWaiters& waiters, ProjectionMetrics& metrics);
  ~BatchApplier();

  void Start();
  // Drains (a failing batch is given up after `give_up`), then ends the thread.
  void Stop(Clock::time_point give_up);
  // From now on, a batch still failing at `give_up` is dropped, and so is every
  // later one: the service is stopping. Any thread.
  void GiveUpBy(Clock::time_point give_up);

  // Whether a batch is in flight. Lock-free: the consumer asks once per record and lane.
  bool Busy() const { return busy_.load(std::memory_order_acquire); }
  void Submit(DecodedBatch batch);
  // Waits until no batch is in flight. A batch still failing at `give_up` is
  // dropped (halting the applier).
  void Drain(Clock::time_point give_up);

  // The read model's generation and the stored next offsets of the whole
  // assignment (absent: none stored); resumes a halted applier.
  void Assign(const std::vector<platform::Partition>& partitions, const StorePosition& stored);
  void Forget(const std::vector<platform::Partition>& partitions);

  bool Halted() const;
  // The next offsets committed so far, per assigned partition that has any.
  StoredOffsets Committed() const;
  // False while the last store operation failed.
  bool StoreOk() const { return store_ok_.load(); }

 private:
  enum class Outcome { kApplied, kStoreMoved, kFailed };

  void Loop();
  // Applies `batch` until done or given up; true unless the applier must halt.
  bool ApplyWithRetry(const DecodedBatch& batch, const Fence& fence);
  Outcome ApplyOnce(const DecodedBatch& batch, const Fence& fence);
  Outcome ResolveInDoubtCommit(const DecodedBatch& batch, const Fence& fence);
  void Committed(const DecodedBatch& batch);
  void StoreFailed(const std::string& what, const std::string& error, std::size_t records);
  void StoreMoved(const std::string& topic, const Fence& fence, const StorePosition& stored);
  void Publish(const BatchWrites& writes);
  void LogApplied(const DecodedBatch& batch) const;

  ReadModelStore& store_;
  VersionWaiters& waiters_;
  ProjectionMetrics& metrics_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<DecodedBatch> in_flight_;
  std::atomic<bool> busy_{false};  // in_flight_.has_value(), written with it under mutex_
  std::string generation_;         // of the read model the positions were read from
  ExpectedOffsets stored_;         // per assigned partition: the next offset stored, as known here
  bool halted_ = false;
  bool positions_changed_ = false;  // the store must forget what it knows of stored orders
  bool stopping_ = false;
  Clock::time_point drain_give_up_ = Clock::time_point::max();
  Clock::time_point stop_give_up_ = Clock::time_point::max();
  std::atomic<bool> store_ok_{true};
  std::thread thread_;
};

}  // namespace orders::projection

#pragma once
// The port through which the projection writes its read model. The
// application (BatchApplier, Projector) decides when to retry, when to halt
// and when to re-read positions; the store only loads positions and applies
// one batch at a time, atomically with the offsets after it, so the read
// model always equals the fold of the log up to the stored offsets.
//
// Implemented for PostgreSQL in src/pg/ (PgReadModelStore); the unit tests
// use an in-memory store. Expected failures come back as values; a store
// drops whatever it holds (a connection, what it knows of stored orders)
// after a failure by itself, so the next call starts afresh.
//
// Not thread-safe: one caller at a time. The applier's thread uses it while a
// batch is in flight, the consumer thread only while the applier is drained.

#include <string>
#include <vector>

#include <orders/platform/partition_offsets.hpp>
#include <orders/platform/result.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/offset_fence.hpp>

namespace orders::projection {

// kFast takes the placements of a batch as new orders (the usual case, and
// the cheap one); kTolerant loads every order and skips rows that exist
// already, for the batch kFast refused with kRowsExist.
enum class WriteMode { kFast, kTolerant };

struct ApplyOutcome {
  enum class Kind {
    kApplied,     // committed; `writes` holds what changed
    kStoreMoved,  // the fence refused the batch (offset_fence.hpp); `stored` is what it found; nothing written
    kRowsExist,   // kFast only: a row the batch took as new exists already; nothing written
    kFailed,      // nothing written (the store is unreachable, a statement failed); `error` says why
    kInDoubt,     // the commit was sent but its outcome is unknown; `error` says why
  };

  Kind kind = Kind::kFailed;
  BatchWrites writes;
  StorePosition stored;
  std::string error;
};

class ReadModelStore {
 public:
  virtual ~ReadModelStore() = default;

  // The read model's generation and the stored next offsets of `partitions`
  // (partitions with none stored are absent).
  virtual platform::Result<StorePosition> LoadPosition(const std::string& topic,
                                                       const std::vector<platform::Partition>& partitions) = 0;

  // Applies `batch` only if the store is where `fence` says (same generation,
  // every partition of fence.expected stored as expected); then folds the
  // batch onto the stored state of its orders and writes the result and the
  // batch's next offsets in one transaction.
  virtual ApplyOutcome Apply(const DecodedBatch& batch, const Fence& fence, WriteMode mode) = 0;

  // The consumer's positions were re-read: whatever the store remembers of
  // its own earlier writes may be stale.
  virtual void ForgetKnownOrders() = 0;
};

}  // namespace orders::projection

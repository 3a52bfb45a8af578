#pragma once
// The pure core of the projection: which consumed records form a batch, and
// what a batch changes in the read model. No I/O: the store loads the stored
// state of the batch's orders, FoldBatch() decides, the store writes the result.
//
// Guarantees of FoldBatch (the version guard, via domain::Apply):
//   - an event whose version is <= the order's version is a no-op (redelivery);
//   - an event that skips a version (gap) or breaks the lifecycle is parked,
//     never applied, and every later event of that order in the batch too
//     (they would all be gaps);
//   - several events of one order are folded in memory into one final state.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <orders/codec/event_codec.hpp>
#include <orders/domain/order.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/partition_offsets.hpp>
#include <orders/projection/parked_record.hpp>
#include <orders/projection/stock_fold.hpp>

namespace orders::projection {

// Which stream a consumer reads, and so how its records are decoded and
// folded: order events (ORDERS_TOPIC) or inventory events (INVENTORY_TOPIC).
// Each stream has its own consumer and its own batches; they share the store,
// the fence and the applier.
enum class Stream { kOrders, kInventory };

// When the batch being built goes to the applier. Records already fetched are
// taken first (the consumer polls without waiting while it gets records);
// once nothing more is at hand (`drained`) and the oldest pending record has
// waited `min_wait`, the batch is due. It is also due when `max_records` are
// pending, or when the oldest has waited `max_wait` while records kept coming.
// A due batch goes only once the applier is free, and meanwhile it keeps
// growing (a full one waits for the applier): so a batch holds what arrived
// while the previous one was written. Live, that is a few records, and the
// read model trails the log by about one commit plus min_wait (which spares
// PostgreSQL a transaction per record or two); in a replay, where PostgreSQL
// is the bottleneck, batches grow towards max_records and fold several events
// of an order into one row write (projection_replay_bench measures this).
struct BatchPolicy {
  using Clock = std::chrono::steady_clock;

  std::size_t max_records = 50000;
  std::chrono::milliseconds min_wait{5};
  std::chrono::milliseconds max_wait{20};

  bool Due(std::size_t pending, bool drained, Clock::time_point first_at, Clock::time_point now) const {
    if (pending >= max_records) return true;
    if (pending == 0) return false;
    const auto waited = now - first_at;
    return waited >= max_wait || (drained && waited >= min_wait);
  }
  // How long the consumer may block in its next poll: not at all while records
  // keep coming, until min_wait is over when nothing more is at hand, briefly
  // while a due batch waits for a busy applier (it goes as soon as the applier
  // is free), and up to `idle` when nothing is pending.
  std::chrono::milliseconds PollTimeout(std::size_t pending, bool drained, bool applier_busy,
                                        Clock::time_point first_at, Clock::time_point now,
                                        std::chrono::milliseconds idle) const;
};

struct DecodedRecord {
  std::string topic;
  platform::Partition partition = 0;
  platform::Offset offset = 0;
  std::string key;
  std::string payload;
  codec::DecodedEvent decoded;
};

struct DecodedBatch {
  std::string topic;
  Stream stream = Stream::kOrders;
  std::vector<DecodedRecord> events;             // in consumption order (orders stream)
  std::vector<DecodedStockRecord> stock_events;  // in consumption order (inventory stream)
  std::vector<ParkedRecord> poison;              // records DecodeEvent refused
  platform::PartitionOffsets next_offsets;       // partition -> last offset + 1
  // When each record was appended to Kafka (its timestamp, ms since the epoch;
  // 0 when the record has none), for the apply-lag metric.
  std::vector<std::int64_t> appended_at_ms;

  // Distinct order ids of the decoded events, sorted.
  std::vector<std::string> OrderIds() const;
  std::size_t Size() const { return events.size() + stock_events.size() + poison.size(); }
};

// Decodes one record into the batch (the consumer does this as records
// arrive), with the codec of the batch's stream.
void AddRecord(DecodedBatch& batch, platform::ConsumedRecord record);
DecodedBatch DecodeBatch(std::vector<platform::ConsumedRecord> records, Stream stream = Stream::kOrders);

// One row of order_history: the order's status after the event.
struct HistoryRow {
  std::string order_id;
  std::int64_t version = 0;
  domain::Status status = domain::Status::kPending;
  domain::Timestamp at{};
  std::optional<std::string> reason;
  std::string event_id;
  std::string event;                      // codec::EventName: "order.placed", "order.courier_assigned", ...
  std::optional<std::string> courier_id;  // the courier a courier event names
  // The order's status before the event (none for a placement): the report
  // summaries count the move from it, without reading the previous history
  // row back from the store.
  std::optional<domain::Status> status_before;

  friend bool operator==(const HistoryRow&, const HistoryRow&) = default;
};

// A courier declined an open delivery: the order leaves that courier's open
// list. Written "insert unless present": a courier's later declines of the
// same order add nothing.
struct DeclineRow {
  std::string order_id;
  std::string courier_id;
  std::int64_t version = 0;
  domain::Timestamp at{};

  friend bool operator==(const DeclineRow&, const DeclineRow&) = default;
};

struct BatchWrites {
  std::string topic;
  std::vector<domain::Order> upserts;  // the final state of every changed order
  // Parallel to `upserts`: whether the store held the order before this batch.
  // A stored order only changes status, courier, version and updated_at; a
  // new one is written whole.
  std::vector<bool> stored_before;
  std::vector<HistoryRow> history;   // one per applied event
  std::vector<DeclineRow> declines;  // one per applied order.delivery_declined
  std::vector<ParkedRecord> parked;  // poison, gaps, lifecycle violations
  // Inventory batches (stock_fold.hpp): the changed products and reservations.
  std::vector<domain::Stock> stocks;
  std::vector<ReservationRow> reservations;
  platform::PartitionOffsets next_offsets;
  std::size_t applied = 0;
  std::size_t duplicates = 0;
};

// `stored` holds the current read-model state of (some of) the batch's orders:
// at least order_id, status, courier_id and version (what domain::Apply
// checks; declined_by is not needed: declines are written as rows).
// `stored_stock` holds what FoldStock needs of the batch's stored products
// (stock_fold.hpp); only inventory batches have any.
// The batch is not consumed: a failed write retries with the same batch.
BatchWrites FoldBatch(const DecodedBatch& batch, const std::map<std::string, domain::Order>& stored,
                      const std::map<std::string, domain::Stock>& stored_stock = {});

}  // namespace orders::projection

#include <orders/projection/batch.hpp>

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>

#include <orders/domain/evolve.hpp>
#include <orders/platform/log_marker.hpp>

namespace orders::projection {

std::chrono::milliseconds BatchPolicy::PollTimeout(std::size_t pending, bool drained, bool applier_busy,
                                                   Clock::time_point first_at, Clock::time_point now,
                                                   std::chrono::milliseconds idle) const {
  using std::chrono::milliseconds;
  if (pending == 0) return idle;
  if (!drained) return milliseconds(0);
  if (Due(pending, drained, first_at, now)) return applier_busy ? milliseconds(1) : milliseconds(0);
  // Round up: waking before min_wait is over would only poll again.
  const auto left = std::chrono::ceil<milliseconds>(first_at + min_wait - now);
  return std::clamp(left, milliseconds(1), min_wait);
}

std::vector<std::string> DecodedBatch::OrderIds() const {
  std::set<std::string> ids;
  for (const auto& record : events) ids.insert(domain::OrderIdOf(record.decoded.event));
  return {ids.begin(), ids.end()};
}

namespace {

// A record that does not decode is parked, whichever stream it came from.
void ParkAsPoison(DecodedBatch& batch, platform::ConsumedRecord record, std::string error) {
  batch.poison.push_back(ParkedRecord{std::move(record.topic),
                                      record.partition,
                                      record.offset,
                                      std::move(record.key),
                                      std::move(record.value),
                                      std::move(error),
                                      {},
                                      ParkedRecord::Reason::kPoison,
                                      {}});
}

void AddStockRecord(DecodedBatch& batch, platform::ConsumedRecord record) {
  auto result = codec::DecodeStockEvent(record.key, record.value, record.headers);
  if (!result.decoded) {
    ParkAsPoison(batch, std::move(record), std::move(result.error));
    return;
  }
  batch.stock_events.push_back(DecodedStockRecord{std::move(record.topic), record.partition, record.offset,
                                                  std::move(record.key), std::move(record.value),
                                                  std::move(*result.decoded)});
}

}  // namespace

void AddRecord(DecodedBatch& batch, platform::ConsumedRecord record) {
  if (batch.topic.empty()) batch.topic = record.topic;
  auto& next = batch.next_offsets[record.partition];
  next = std::max(next, record.offset + 1);
  if (platform::IsLogMarker(record.headers)) return;  // not an event: only its offset is stored
  batch.appended_at_ms.push_back(record.timestamp_ms);
  if (batch.stream == Stream::kInventory) {
    AddStockRecord(batch, std::move(record));
    return;
  }
  auto result = codec::DecodeEvent(record.key, record.value, record.headers);
  if (!result.decoded) {
    ParkAsPoison(batch, std::move(record), std::move(result.error));
    return;
  }
  batch.events.push_back(DecodedRecord{std::move(record.topic), record.partition, record.offset, std::move(record.key),
                                       std::move(record.value), std::move(*result.decoded)});
}

DecodedBatch DecodeBatch(std::vector<platform::ConsumedRecord> records, Stream stream) {
  DecodedBatch batch;
  batch.stream = stream;
  for (auto& record : records) AddRecord(batch, std::move(record));
  return batch;
}

namespace {

// What an event adds to its history row beyond the status after it: the
// reason (status changes, releases, declines) and the courier it names.
struct HistoryDetails {
  std::optional<std::string> reason;
  std::optional<std::string> courier_id;
};
HistoryDetails DetailsOf(const domain::OrderPlaced&) { return {}; }
HistoryDetails DetailsOf(const domain::StatusChanged& changed) { return {changed.reason, std::nullopt}; }
HistoryDetails DetailsOf(const domain::CourierAssigned& assigned) { return {std::nullopt, assigned.courier_id}; }
HistoryDetails DetailsOf(const domain::CourierUnassigned& unassigned) {
  return {unassigned.reason, unassigned.courier_id};
}
HistoryDetails DetailsOf(const domain::DeliveryDeclined& declined) { return {declined.reason, declined.courier_id}; }
HistoryDetails DetailsOf(const domain::PaymentAuthorized&) { return {}; }
HistoryDetails DetailsOf(const domain::PaymentDeclined& declined) { return {declined.reason, std::nullopt}; }
HistoryDetails DetailsOf(const domain::PaymentRefunded&) { return {}; }

HistoryRow HistoryOf(const domain::Order& after, const DecodedRecord& record,
                     std::optional<domain::Status> status_before) {
  auto details = std::visit([](const auto& event) { return DetailsOf(event); }, record.decoded.event);
  return HistoryRow{after.order_id,
                    after.version,
                    after.status,
                    domain::TimeOf(record.decoded.event),
                    std::move(details.reason),
                    record.decoded.metadata.event_id,
                    std::string(codec::EventName(record.decoded.event)),
                    std::move(details.courier_id),
                    status_before};
}

}  // namespace

BatchWrites FoldBatch(const DecodedBatch& batch, const std::map<std::string, domain::Order>& stored,
                      const std::map<std::string, domain::Stock>& stored_stock) {
  BatchWrites writes;
  writes.topic = batch.topic;
  writes.next_offsets = batch.next_offsets;
  writes.parked = batch.poison;

  struct State {
    std::optional<domain::Order> order;
    bool changed = false;
    bool blocked = false;  // an event of the order was parked in this batch
  };
  std::unordered_map<std::string_view, State> states;
  states.reserve(batch.events.size());
  std::vector<std::string_view> changed_order;  // first-change order, for a stable output
  for (const auto& record : batch.events) {
    const std::string& order_id = domain::OrderIdOf(record.decoded.event);
    auto [it, inserted] = states.try_emplace(order_id);
    State& state = it->second;
    if (inserted) {
      if (auto found = stored.find(order_id); found != stored.end()) state.order = found->second;
    }
    const auto status_before = state.order ? std::optional(state.order->status) : std::nullopt;
    const auto outcome = state.blocked ? domain::ApplyOutcome::kGap : domain::Apply(state.order, record.decoded.event);
    switch (outcome) {
      case domain::ApplyOutcome::kApplied:
        ++writes.applied;
        if (!state.changed) changed_order.push_back(it->first);
        state.changed = true;
        writes.history.push_back(HistoryOf(*state.order, record, status_before));
        if (const auto* declined = std::get_if<domain::DeliveryDeclined>(&record.decoded.event)) {
          writes.declines.push_back(DeclineRow{order_id, declined->courier_id, declined->version, declined->at});
        }
        break;
      case domain::ApplyOutcome::kDuplicate:
        ++writes.duplicates;
        break;
      case domain::ApplyOutcome::kGap:
      case domain::ApplyOutcome::kInvalid: {
        const bool gap = outcome == domain::ApplyOutcome::kGap;
        const std::int64_t expected = state.order ? state.order->version + 1 : 1;
        std::string error = gap ? "version gap: expected version " + std::to_string(expected) + ", got " +
                                      std::to_string(domain::VersionOf(record.decoded.event))
                                : "event does not apply to the order's state (lifecycle violation)";
        state.blocked = true;
        writes.parked.push_back(ParkedRecord{record.topic,
                                             record.partition,
                                             record.offset,
                                             record.key,
                                             record.payload,
                                             std::move(error),
                                             order_id,
                                             gap ? ParkedRecord::Reason::kGap : ParkedRecord::Reason::kInvalid,
                                             {}});
        break;
      }
    }
  }
  writes.upserts.reserve(changed_order.size());
  writes.stored_before.reserve(changed_order.size());
  for (const auto order_id : changed_order) {
    writes.upserts.push_back(std::move(*states[order_id].order));
    writes.stored_before.push_back(stored.count(std::string(order_id)) > 0);
  }
  if (!batch.stock_events.empty()) {
    auto stock = FoldStock(batch.stock_events, stored_stock);
    writes.stocks = std::move(stock.stocks);
    writes.reservations = std::move(stock.reservations);
    writes.applied += stock.applied;
    writes.duplicates += stock.duplicates;
    for (auto& parked : stock.parked) writes.parked.push_back(std::move(parked));
  }
  return writes;
}

}  // namespace orders::projection

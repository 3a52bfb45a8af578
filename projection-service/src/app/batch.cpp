#include <orders/projection/batch.hpp>

#include <algorithm>
#include <set>

#include <orders/domain/evolve.hpp>

namespace orders::projection {

std::chrono::milliseconds BatchPolicy::PollTimeout(std::size_t pending, std::chrono::steady_clock::time_point first_at,
                                                   std::chrono::steady_clock::time_point now,
                                                   std::chrono::milliseconds idle) const {
  if (pending == 0) return idle;
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - first_at);
  return std::max(std::chrono::milliseconds(0), max_wait - waited);
}

std::vector<std::string> DecodedBatch::OrderIds() const {
  std::set<std::string> ids;
  for (const auto& record : events) ids.insert(domain::OrderIdOf(record.decoded.event));
  return {ids.begin(), ids.end()};
}

DecodedBatch DecodeBatch(std::vector<platform::ConsumedRecord> records) {
  DecodedBatch batch;
  for (auto& record : records) {
    if (batch.topic.empty()) batch.topic = record.topic;
    auto& next = batch.next_offsets[record.partition];
    next = std::max(next, record.offset + 1);
    auto result = codec::DecodeEvent(record.key, record.value, record.headers);
    if (!result.decoded) {
      batch.poison.push_back(ParkedRecord{record.topic, record.partition, record.offset, std::move(record.key),
                                          std::move(record.value), std::move(result.error), {},
                                          ParkedRecord::Reason::kPoison});
      continue;
    }
    batch.events.push_back(DecodedRecord{record.topic, record.partition, record.offset, std::move(record.key),
                                         std::move(record.value), std::move(*result.decoded)});
  }
  return batch;
}

namespace {

HistoryRow HistoryOf(const domain::Order& after, const DecodedRecord& record) {
  const auto* changed = std::get_if<domain::StatusChanged>(&record.decoded.event);
  return HistoryRow{after.order_id, after.version, after.status, domain::TimeOf(record.decoded.event),
                    changed ? changed->reason : std::nullopt, record.decoded.metadata.event_id};
}

}  // namespace

BatchWrites FoldBatch(DecodedBatch batch, const std::map<std::string, domain::Order>& stored) {
  BatchWrites writes;
  writes.topic = std::move(batch.topic);
  writes.next_offsets = std::move(batch.next_offsets);
  writes.parked = std::move(batch.poison);

  std::map<std::string, std::optional<domain::Order>> states;
  std::set<std::string> changed;
  std::set<std::string> blocked;  // orders with a parked event in this batch
  for (auto& record : batch.events) {
    const std::string& order_id = domain::OrderIdOf(record.decoded.event);
    auto [it, inserted] = states.try_emplace(order_id);
    if (inserted) {
      if (auto found = stored.find(order_id); found != stored.end()) it->second = found->second;
    }
    std::optional<domain::Order>& state = it->second;
    const auto outcome = blocked.count(order_id) ? domain::ApplyOutcome::kGap : domain::Apply(state, record.decoded.event);
    switch (outcome) {
      case domain::ApplyOutcome::kApplied:
        ++writes.applied;
        changed.insert(order_id);
        writes.history.push_back(HistoryOf(*state, record));
        break;
      case domain::ApplyOutcome::kDuplicate:
        ++writes.duplicates;
        break;
      case domain::ApplyOutcome::kGap:
      case domain::ApplyOutcome::kInvalid: {
        const bool gap = outcome == domain::ApplyOutcome::kGap;
        const std::int64_t expected = state ? state->version + 1 : 1;
        std::string error = gap ? "version gap: expected version " + std::to_string(expected) + ", got " +
                                      std::to_string(domain::VersionOf(record.decoded.event))
                                : "event does not apply to the order's state (lifecycle violation)";
        blocked.insert(order_id);
        writes.parked.push_back(ParkedRecord{record.topic, record.partition, record.offset, std::move(record.key),
                                             std::move(record.payload), std::move(error), order_id,
                                             gap ? ParkedRecord::Reason::kGap : ParkedRecord::Reason::kInvalid});
        break;
      }
    }
  }
  for (const auto& order_id : changed) writes.upserts.push_back(*states[order_id]);
  return writes;
}

}  // namespace orders::projection

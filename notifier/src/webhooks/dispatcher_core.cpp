#include <orders/notifier/webhooks/dispatcher_core.hpp>

#include <algorithm>
#include <limits>

#include <orders/codec/event_topics.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/codec/trace_context.hpp>
#include <orders/notifier/webhooks/dispatcher_metrics.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/log_marker.hpp>

namespace orders::notifier::webhooks {
namespace {

std::optional<std::string> HeaderOf(const platform::KafkaHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// When the event happened: ce_time, else the broker's timestamp, else now.
WallClock::time_point EventTime(const platform::ConsumedRecord& record, WallClock::time_point now) {
  if (const auto text = HeaderOf(record.headers, "ce_time")) {
    if (const auto parsed = codec::ParseTimestamp(*text)) return WallClock::time_point(parsed->time_since_epoch());
  }
  if (record.timestamp_ms > 0) return WallClock::time_point(std::chrono::milliseconds(record.timestamp_ms));
  return now;
}

// A topic carries one stream; the bound only guards against a topic of odd event types.
constexpr std::size_t kTopicStreamsKept = 16;

bool OlderThan(const Delivery& a, const Delivery& b) {
  return std::tie(a.topic, a.partition, a.offset) < std::tie(b.topic, b.partition, b.offset);
}

}  // namespace

DispatcherCore::DispatcherCore(EndpointRegistry& registry, DeliveryLedger& ledger, DispatchPolicy policy,
                               UniformRandom random, DispatcherMetrics* metrics)
    : registry_(registry), ledger_(ledger), policy_(std::move(policy)), random_(std::move(random)), metrics_(metrics) {
  policy_.endpoint_concurrency =
      std::clamp<std::size_t>(policy_.endpoint_concurrency, 1, std::max<std::size_t>(1, policy_.workers / 4));
  policy_.queue_per_endpoint = std::max<std::size_t>(1, policy_.queue_per_endpoint);
}

platform::PartitionOffsets DispatcherCore::Assign(const std::string& topic,
                                                  const std::vector<platform::Partition>& partitions,
                                                  const EndOffset& end_offset, WallClock::time_point now) {
  platform::PartitionOffsets starts;
  // The new ownership of these partitions, from the ledger so that it is comparable across
  // instances: it also fences their parks (a stalled previous owner can no longer drop or
  // overwrite the ones loaded below, which this instance now relies on).
  auto claim = ledger_.ClaimParks(topic, partitions);
  for (const auto partition : partitions) {
    std::optional<platform::Offset> next = ledger_.ResumeOffset(topic, partition);
    if (!next && end_offset) {
      // A new deployment does not deliver history. The end is saved at once:
      // should this instance stop before a record arrives, the next owner
      // starts here too instead of at a later end (which would skip events).
      next = end_offset(partition);
      if (next) ledger_.SaveResumeOffset(topic, partition, *next);
    }
    starts[partition] = next ? *next : platform::kOffsetEnd;
    ownership_[{topic, partition}] = claim.ownership;
    auto& progress = partitions_.insert_or_assign({topic, partition}, PartitionProgress(next)).first->second;
    (void)progress.TakeChange();  // what the ledger holds now
    if (next) {
      read_next_[{topic, partition}] = *next;
    } else {
      read_next_.erase({topic, partition});
    }
  }
  // Endpoints parked on these partitions (by this instance or another): their catch-ups start when due.
  for (auto& park : claim.parks) {
    ParkState state;
    state.progress = PartitionProgress(park.from_offset);
    state.next_read = park.from_offset;
    state.park = std::move(park);
    parks_.insert_or_assign({state.park.endpoint_id, state.park.topic, state.park.partition}, std::move(state));
  }
  LearnWaitingSubjects(topic, partitions, now);
  UpdateGauges();
  return starts;
}

void DispatcherCore::LearnWaitingSubjects(const std::string& topic, const std::vector<platform::Partition>& partitions,
                                          WallClock::time_point now) {
  // Subjects already waiting in the ledger: their new events queue behind them.
  for (const auto& [endpoint_id, subject] : ledger_.PendingSubjects(topic, partitions)) {
    auto [it, added] = holds_.try_emplace({endpoint_id, topic, subject});
    if (added) it->second.partition = -1;
    it->second.unknown_count = true;
  }
  // Each one's oldest waiting delivery, whatever its due time ("due" ten
  // years ahead lists them all, oldest offset first).
  const auto horizon = now + std::chrono::hours(24 * 3650);
  for (const auto partition : partitions) {
    for (const auto& waiting : ledger_.Due(topic, {partition}, horizon, policy_.head_scan)) {
      auto it = holds_.find(HoldOf(waiting));
      if (it == holds_.end()) continue;
      Hold& hold = it->second;
      hold.partition = waiting.partition;
      if (!hold.head_offset || waiting.offset < *hold.head_offset) {
        hold.head_offset = waiting.offset;
        hold.not_before = waiting.next_attempt_at;
      }
    }
  }
}

void DispatcherCore::Revoke(const std::string& topic, const std::vector<platform::Partition>& partitions,
                            WallClock::time_point now) {
  const std::set<platform::Partition> revoked(partitions.begin(), partitions.end());
  for (auto& [attempt_id, delivery] : live_in_flight_) {
    if (delivery.topic != topic || !revoked.count(delivery.partition) || kept_on_revoke_.count(attempt_id)) continue;
    // Its outcome is not known yet: kept as due now, then updated when it comes.
    KeepPending(delivery, now, now, true);
    kept_on_revoke_.insert(attempt_id);
  }
  // The next owner reads the ledger: everything kept so far is written before the resume offsets.
  WriteNow();
  for (const auto partition : partitions) {
    auto it = partitions_.find({topic, partition});
    if (it == partitions_.end()) continue;
    if (const auto resume = it->second.Resume()) ledger_.SaveResumeOffset(topic, partition, *resume);
    partitions_.erase(it);
    read_next_.erase({topic, partition});
    ownership_.erase({topic, partition});
  }
  // Parks stay in the ledger for the next owner, where their catch-up stands (never past an event
  // not resolved); a reader still attached is told to stop by its next call. Each is written again
  // even when it did not move: the partition's resume offset saved above may pass what it covers, so
  // its row must be there for the next owner whatever happened to it meanwhile.
  for (auto it = parks_.begin(); it != parks_.end();) {
    const auto& [endpoint_id, park_topic, partition] = it->first;
    if (park_topic != topic || !revoked.count(partition)) {
      ++it;
      continue;
    }
    Park park = it->second.park;
    park.from_offset = it->second.progress.Resume().value_or(park.from_offset);
    ledger_.SavePark(park);
    it = parks_.erase(it);
  }
  auto gone = [&](const Delivery& delivery) { return delivery.topic == topic && revoked.count(delivery.partition); };
  for (auto& entry : lanes_) {
    auto& lane = entry.second;
    std::erase_if(lane.live, [&](const Queued& queued) {
      if (!gone(queued.delivery)) return false;
      auto subject = lane.live_subjects.find(KeyOf(queued.delivery));
      if (subject != lane.live_subjects.end() && --subject->second <= 0) lane.live_subjects.erase(subject);
      return true;
    });
    std::erase_if(lane.retries, [&](const Queued& queued) {
      if (!gone(queued.delivery)) return false;
      retry_taken_.erase({queued.delivery.endpoint_id, queued.delivery.event_id});
      return true;
    });
  }
  // Holds whose partition is unknown are re-learned for what is still owned.
  std::erase_if(holds_, [&](const auto& entry) {
    const bool gone =
        std::get<1>(entry.first) == topic && (entry.second.partition < 0 || revoked.count(entry.second.partition));
    if (gone) held_ -= entry.second.known;
    return gone;
  });
  if (const auto owned = Owned(topic); !owned.empty()) LearnWaitingSubjects(topic, owned, now);
  UpdateGauges();
}

std::vector<platform::Partition> DispatcherCore::Owned(const std::string& topic) const {
  std::vector<platform::Partition> owned;
  for (auto it = partitions_.lower_bound({topic, std::numeric_limits<platform::Partition>::min()});
       it != partitions_.end() && it->first.first == topic; ++it) {
    owned.push_back(it->first.second);
  }
  return owned;
}

std::size_t DispatcherCore::ConcurrencyOf(const Lane& lane) const {
  return lane.endpoint.failing_since ? 1 : policy_.endpoint_concurrency;
}

bool DispatcherCore::Wants(const Lane& lane, std::string_view event_name) const {
  if (lane.removed || lane.endpoint.disabled) return false;
  return std::any_of(lane.endpoint.events.begin(), lane.endpoint.events.end(),
                     [&](const std::string& pattern) { return codec::MatchesEventPattern(pattern, event_name); });
}

bool DispatcherCore::Healthy(const Lane& lane, WallClock::time_point now) const {
  return !lane.removed && !lane.endpoint.disabled && !lane.endpoint.failing_since && lane.backoff_until <= now;
}

bool DispatcherCore::TakesTopic(const Lane& lane, const std::string& topic) const {
  auto streams = topic_streams_.find(topic);
  if (streams == topic_streams_.end()) return false;
  // Any event of a stream met on the topic, even one not seen yet: a rare event counts too.
  return std::any_of(streams->second.begin(), streams->second.end(), [&](const std::string& stream) {
    const auto names = codec::EventNames();
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view name) { return name.starts_with(stream) && Wants(lane, name); });
  });
}

bool DispatcherCore::ReadingWaits(const platform::ConsumedRecord& record, WallClock::time_point now,
                                  std::optional<std::size_t> limit) const {
  if (!partitions_.count({record.topic, record.partition})) return false;
  const auto type = HeaderOf(record.headers, "ce_type");
  if (!type) return false;
  const std::string_view name = codec::EventNameOfType(*type);
  const std::size_t full = limit.value_or(policy_.queue_per_endpoint);
  std::string subject = record.key;
  if (subject.empty()) subject = HeaderOf(record.headers, "ce_subject").value_or("");
  // Behind a waiting delivery of its subject, the record goes to the ledger anyway.
  const bool blocked = std::any_of(lanes_.begin(), lanes_.end(), [&](const auto& entry) {
    const Lane& lane = entry.second;
    return Healthy(lane, now) && lane.live.size() >= full && Wants(lane, name) &&
           !holds_.count({entry.first, record.topic, subject}) &&
           !parks_.count({entry.first, record.topic, record.partition});
  });
  if (!blocked) return false;
  // Room elsewhere: a pause could keep that endpoint from events behind the record.
  return std::none_of(lanes_.begin(), lanes_.end(), [&](const auto& entry) {
    const Lane& lane = entry.second;
    return Healthy(lane, now) && lane.live.size() < full && TakesTopic(lane, record.topic);
  });
}

void DispatcherCore::OnRecord(const platform::ConsumedRecord& record, WallClock::time_point now) {
  auto owner = partitions_.find({record.topic, record.partition});
  if (owner == partitions_.end()) return;  // revoked while this record was on its way
  PartitionProgress& progress = owner->second;
  // Held open while the record is being handed out: should the ledger fail
  // half-way, the resume offset stays here and the record is dispatched again.
  progress.Read(record.offset, 1);
  if (auto& next = read_next_[{record.topic, record.partition}]; next < record.offset + 1) next = record.offset + 1;

  const auto type = HeaderOf(record.headers, "ce_type");
  const auto id = HeaderOf(record.headers, "ce_id");
  auto skip = [&] {
    platform::LogWarn("webhooks: skipping a record that is not a CloudEvent",
                      {{"topic", record.topic}, {"partition", record.partition}, {"offset", record.offset}});
    progress.Resolve(record.offset);
  };
  if (!type || !id) return skip();
  const std::string name(codec::EventNameOfType(*type));
  if (auto& streams = topic_streams_[record.topic]; streams.size() < kTopicStreamsKept) {
    streams.insert(name.substr(0, name.find('.') + 1));  // "order.placed" -> "order."
  }
  // The body is built only for an event some endpoint wants: most records are
  // wanted by none, and the notifier reads every one of them.
  // Parked endpoints take nothing here (their catch-up builds the body when it reads the event again).
  auto parked = [&](const std::string& endpoint_id) {
    auto park = parks_.find({endpoint_id, record.topic, record.partition});
    return park != parks_.end() && record.offset >= park->second.park.from_offset;
  };
  std::optional<std::string> body;
  for (auto& [endpoint_id, lane] : lanes_) {
    if (!Wants(lane, name) || parked(endpoint_id)) continue;
    body = codec::StructuredCloudEvent(record.value, record.headers);
    if (!body) return skip();
    break;
  }
  if (!body) {  // as when no endpoint is left after the loop below
    progress.Read(record.offset, 0);
    progress.Resolve(record.offset);
    return;
  }
  std::string subject = record.key;
  if (subject.empty()) subject = HeaderOf(record.headers, "ce_subject").value_or("");
  const auto event_time = EventTime(record, now);
  // Kept as it came, checked when an attempt makes its child span.
  const std::string trace_parent = HeaderOf(record.headers, codec::kTraceParentHeader).value_or("");

  int open = 0;
  for (auto& [endpoint_id, lane] : lanes_) {
    if (!Wants(lane, name)) continue;
    // Parked here: the park covers the event; its catch-up reads it again. (An older event, read
    // again after an assignment, was not parked: it goes on as usual.)
    if (parked(endpoint_id)) continue;
    Delivery delivery;
    delivery.endpoint_id = endpoint_id;
    delivery.event_id = *id;
    delivery.event_type = name;
    delivery.subject = subject;
    delivery.topic = record.topic;
    delivery.partition = record.partition;
    delivery.offset = record.offset;
    delivery.body = *body;
    delivery.trace_parent = trace_parent;
    delivery.event_time = event_time;
    delivery.updated_at = now;
    if (auto hold = holds_.find(HoldOf(delivery)); hold != holds_.end()) {
      KeepBehindHold(std::move(delivery), hold->second, now, true);
      ++open;
    } else if (lane.backoff_until > now || lane.live.size() >= policy_.queue_per_endpoint) {
      // The endpoint is backing off or too far behind: parked on the partition from this event on.
      const auto due = std::max(now, lane.backoff_until);
      if (TryPark(lane, record.topic, record.partition, record.offset, due)) continue;
      // Without a park (the ledger refused it): spilled, it leaves from the ledger.
      Hold& fresh = holds_[HoldOf(delivery)];
      fresh.partition = delivery.partition;
      fresh.head_offset = delivery.offset;
      fresh.not_before = due;
      KeepBehindHold(std::move(delivery), fresh, now, true);
      ++open;
    } else {
      ++lane.live_subjects[KeyOf(delivery)];
      lane.live.push_back({std::move(delivery), false});
      ++open;
    }
  }
  progress.Read(record.offset, open);
  progress.Resolve(record.offset);
  UpdateGauges();
}

void DispatcherCore::OnMarker(const platform::ConsumedRecord& marker) {
  auto owner = partitions_.find({marker.topic, marker.partition});
  if (owner == partitions_.end()) return;
  owner->second.Read(marker.offset, 0);
  if (auto& next = read_next_[{marker.topic, marker.partition}]; next < marker.offset + 1) next = marker.offset + 1;
}

void DispatcherCore::Keep(Delivery delivery, bool resolves, bool parked) {
  ++uncommitted_[{delivery.endpoint_id, delivery.event_id}];
  std::uint64_t ownership = 0;
  if (resolves || parked) {
    auto owned = ownership_.find({delivery.topic, delivery.partition});
    if (owned != ownership_.end()) ownership = owned->second;
  }
  unwritten_.push_back({std::move(delivery), resolves, parked, ownership});
}

void DispatcherCore::KeepPending(Delivery delivery, WallClock::time_point due, WallClock::time_point now, bool resolves,
                                 bool parked) {
  delivery.status = DeliveryStatus::kPending;
  delivery.next_attempt_at = due;
  delivery.updated_at = now;
  Keep(std::move(delivery), resolves, parked);
}

void DispatcherCore::KeepBehindHold(Delivery delivery, Hold& hold, WallClock::time_point now, bool resolves,
                                    bool parked) {
  // Never due before the delivery it waits behind (the ledger hands out due
  // deliveries oldest first, so the head is always taken before it).
  KeepPending(std::move(delivery), std::max(now, hold.not_before), now, resolves, parked);
  ++hold.known;
  ++held_;
}

std::vector<DispatcherCore::Unwritten> DispatcherCore::TakeUnwritten() {
  std::vector<Unwritten> batch;
  batch.swap(unwritten_);
  return batch;
}

void DispatcherCore::Written(const std::vector<Unwritten>& batch) {
  for (const auto& entry : batch) {
    auto it = uncommitted_.find({entry.delivery.endpoint_id, entry.delivery.event_id});
    if (it != uncommitted_.end() && --it->second <= 0) uncommitted_.erase(it);
    if (entry.resolves || entry.parked) {
      auto owned = ownership_.find({entry.delivery.topic, entry.delivery.partition});
      if (owned == ownership_.end() || owned->second != entry.ownership) continue;  // kept under an ownership now gone
    }
    if (entry.resolves) Resolve(entry.delivery);
    if (entry.parked) {
      // Its row is committed: the park's offset may pass it (a later round that read it again
      // writes the same row).
      if (auto park = parks_.find(ParkOf(entry.delivery)); park != parks_.end()) {
        park->second.progress.Resolve(entry.delivery.offset);
        park->second.dirty = true;
      }
    }
  }
  UpdateGauges();
}

void DispatcherCore::NotWritten(std::vector<Unwritten> batch) {
  batch.insert(batch.end(), std::make_move_iterator(unwritten_.begin()), std::make_move_iterator(unwritten_.end()));
  unwritten_ = std::move(batch);
}

void DispatcherCore::WriteNow() {
  if (unwritten_.empty()) return;
  auto batch = TakeUnwritten();
  std::vector<Delivery> deliveries;
  deliveries.reserve(batch.size());
  for (const auto& entry : batch) deliveries.push_back(entry.delivery);
  try {
    ledger_.KeepAll(deliveries);
  } catch (...) {
    NotWritten(std::move(batch));
    throw;
  }
  Written(batch);
}

void DispatcherCore::Resolve(const Delivery& delivery) {
  auto it = partitions_.find({delivery.topic, delivery.partition});
  if (it != partitions_.end()) it->second.Resolve(delivery.offset);
}

void DispatcherCore::ReleaseOne(const Delivery& delivery) {
  auto it = holds_.find(HoldOf(delivery));
  if (it == holds_.end()) return;
  Hold& hold = it->second;
  if (hold.known > 0) {
    --hold.known;
    --held_;
  }
  if (hold.head_offset == delivery.offset) {
    hold.head_offset.reset();
    hold.not_before = {};
  }
  // A hold learned from the ledger stays for the ownership: how many wait behind it is not known.
  if (hold.known == 0 && !hold.unknown_count) holds_.erase(it);
}

void DispatcherCore::RefreshEndpoints(WallClock::time_point now) {
  std::set<std::string> listed;
  for (auto& endpoint : registry_.List()) {
    listed.insert(endpoint.id);
    Lane& lane = lanes_[endpoint.id];
    lane.removed = false;
    lane.endpoint = std::move(endpoint);
    if (lane.endpoint.disabled) {
      FailQueued(lane, "endpoint disabled", now);
      FailParks(lane.endpoint.id, "endpoint disabled");
    }
  }
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    if (listed.count(it->first)) {
      ++it;
      continue;
    }
    // Deleted: the registry forgot its deliveries too.
    Lane& lane = it->second;
    lane.removed = true;
    DropQueued(lane);
    std::erase_if(holds_, [&](const auto& entry) {
      const bool gone = std::get<0>(entry.first) == it->first;
      if (gone) held_ -= entry.second.known;
      return gone;
    });
    // Its parks went with it (Delete).
    std::erase_if(parks_, [&](const auto& entry) { return std::get<0>(entry.first) == it->first; });
    it = lane.in_flight == 0 ? lanes_.erase(it) : std::next(it);
  }
  UpdateGauges();
}

void DispatcherCore::TakeDue(WallClock::time_point now) {
  std::set<std::string> topics;
  for (const auto& [key, progress] : partitions_) topics.insert(key.first);
  for (const auto& topic : topics) {
    for (auto& delivery : ledger_.Due(topic, Owned(topic), now, policy_.due_batch)) {
      if (delivery.status != DeliveryStatus::kPending) continue;
      if (retry_taken_.count({delivery.endpoint_id, delivery.event_id})) continue;
      // The core holds a newer state than this row (its write is on the way): that one counts.
      if (uncommitted_.count({delivery.endpoint_id, delivery.event_id})) continue;
      auto lane_it = lanes_.find(delivery.endpoint_id);
      if (lane_it == lanes_.end() || lane_it->second.removed) continue;
      Lane& lane = lane_it->second;
      if (lane.endpoint.disabled) {
        delivery.status = DeliveryStatus::kFailed;
        delivery.last_error = "endpoint disabled";
        delivery.updated_at = now;
        ReleaseOne(delivery);
        Keep(std::move(delivery));
        continue;
      }
      auto [hold_it, added] = holds_.try_emplace(HoldOf(delivery));
      Hold& hold = hold_it->second;
      if (added) hold.unknown_count = true;  // made pending elsewhere (a replay, another owner)
      hold.partition = delivery.partition;
      if (hold.head_offset && delivery.offset > *hold.head_offset && hold.not_before > now) {
        KeepPending(std::move(delivery), hold.not_before, now);  // waits behind its subject's head
        continue;
      }
      if (lane.backoff_until > now) {
        KeepPending(std::move(delivery), lane.backoff_until, now);
        continue;
      }
      // Memory stays bounded: the rest stays in the ledger for a later pass.
      if (lane.retries.size() >= policy_.queue_per_endpoint) continue;
      if (!hold.head_offset || delivery.offset < *hold.head_offset) {
        hold.head_offset = delivery.offset;
        hold.not_before = delivery.next_attempt_at;
      }
      retry_taken_.insert({delivery.endpoint_id, delivery.event_id});
      // Oldest first within the lane, whichever pass took them.
      Queued queued{std::move(delivery), true};
      auto at = std::upper_bound(lane.retries.begin(), lane.retries.end(), queued,
                                 [](const Queued& a, const Queued& b) { return OlderThan(a.delivery, b.delivery); });
      lane.retries.insert(at, std::move(queued));
    }
  }
  UpdateGauges();
}

Attempt DispatcherCore::Start(Lane& lane, Queued queued) {
  ++lane.in_flight;
  ++in_flight_;
  lane.busy.insert(KeyOf(queued.delivery));
  Attempt attempt;
  attempt.id = next_attempt_id_++;
  attempt.request = {lane.endpoint.url, queued.delivery.event_id, queued.delivery.body, lane.endpoint.secret, ""};
  // Each attempt is a span of its own in the event's trace (the receiver sees it as the parent).
  if (const auto parent = codec::ParseTraceParent(queued.delivery.trace_parent)) {
    attempt.request.traceparent = codec::FormatTraceParent(codec::ChildSpan(*parent));
  }
  attempt.delivery = std::move(queued.delivery);
  attempt.kept = queued.kept;
  attempt.parked = queued.parked;
  attempt.round = queued.round;
  if (!attempt.kept && !attempt.parked) live_in_flight_.emplace(attempt.id, attempt.delivery);
  return attempt;
}

std::optional<DispatcherCore::Pick> DispatcherCore::PickIn(const Lane& lane) const {
  if (lane.removed || lane.endpoint.disabled || lane.in_flight >= ConcurrencyOf(lane)) return std::nullopt;
  // A kept delivery goes once its subject has nothing in flight and no older live event queued.
  for (std::size_t i = 0; i < lane.retries.size(); ++i) {
    const auto key = KeyOf(lane.retries[i].delivery);
    if (!lane.busy.count(key) && !lane.live_subjects.count(key)) return Pick{true, i};
  }
  for (std::size_t i = 0; i < lane.live.size(); ++i) {
    if (!lane.busy.count(KeyOf(lane.live[i].delivery))) return Pick{false, i};
  }
  return std::nullopt;
}

std::optional<Attempt> DispatcherCore::NextAttempt() {
  if (lanes_.empty()) return std::nullopt;
  auto it = lanes_.upper_bound(last_lane_);
  for (std::size_t visited = 0; visited < lanes_.size(); ++visited, ++it) {
    if (it == lanes_.end()) it = lanes_.begin();
    Lane& lane = it->second;
    const auto pick = PickIn(lane);
    if (!pick) continue;
    last_lane_ = it->first;
    if (pick->retry) {
      const auto at = lane.retries.begin() + static_cast<std::ptrdiff_t>(pick->index);
      Queued queued = std::move(*at);
      lane.retries.erase(at);
      return Start(lane, std::move(queued));
    }
    const auto at = lane.live.begin() + static_cast<std::ptrdiff_t>(pick->index);
    Queued queued = std::move(*at);
    lane.live.erase(at);
    if (auto subject = lane.live_subjects.find(KeyOf(queued.delivery)); --subject->second <= 0) {
      lane.live_subjects.erase(subject);
    }
    return Start(lane, std::move(queued));
  }
  return std::nullopt;
}

bool DispatcherCore::HasAttempt() const {
  return std::any_of(lanes_.begin(), lanes_.end(), [&](const auto& entry) { return PickIn(entry.second).has_value(); });
}

void DispatcherCore::Finish(const Attempt& finished, const PostOutcome& outcome, WallClock::time_point now) {
  if (in_flight_ > 0) --in_flight_;
  live_in_flight_.erase(finished.id);
  Attempt attempt = finished;
  // A first attempt kept in the ledger when its partition was revoked: its
  // outcome updates that delivery, like a retry's.
  if (kept_on_revoke_.erase(finished.id)) attempt.kept = true;
  Delivery delivery = attempt.delivery;
  ++delivery.attempts;
  delivery.last_http_status = outcome.http_status;
  delivery.last_error = outcome.delivered ? std::string() : outcome.error;
  delivery.updated_at = now;

  auto lane_it = lanes_.find(delivery.endpoint_id);
  Lane* lane = lane_it == lanes_.end() ? nullptr : &lane_it->second;
  if (lane) {
    if (lane->in_flight > 0) --lane->in_flight;
    lane->busy.erase(KeyOf(delivery));
  }
  if (metrics_) {
    const double latency = std::chrono::duration<double>(now - delivery.event_time).count();
    metrics_->Attempted(delivery.endpoint_id, outcome.delivered, std::max(0.0, latency));
  }
  if (!lane || lane->removed) {
    // Deleted meanwhile: nothing to keep, and the record is done for this endpoint.
    if (!attempt.kept && !attempt.parked) Resolve(delivery);
    if (lane && lane->in_flight == 0) lanes_.erase(lane_it);
    retry_taken_.erase({delivery.endpoint_id, delivery.event_id});
    UpdateGauges();
    return;
  }

  // Written only when the endpoint's health changes: a healthy endpoint's
  // deliveries cost no database round trip each.
  if (outcome.delivered == lane->endpoint.failing_since.has_value()) {
    registry_.RecordHealth(delivery.endpoint_id, outcome.delivered, now);
  }
  if (outcome.delivered) {
    lane->endpoint.failing_since.reset();
    lane->backoff_until = {};
  } else if (!lane->endpoint.failing_since) {
    lane->endpoint.failing_since = now;
  }

  if (attempt.parked) {
    // The park covers it: its offset is resolved in the park, or the park waits again from there.
    auto park = parks_.find(ParkOf(delivery));
    const bool current = park != parks_.end() && park->second.active && park->second.round == attempt.round;
    if (current && outcome.delivered) {
      park->second.progress.Resolve(delivery.offset);
      park->second.dirty = true;
      if (!park->second.reading) {  // a probe's round: the next one reads on at full concurrency
        park->second.park.attempts = 0;
        EndRound(park->first, park->second, now);
      }
    } else if (current) {
      ReParkAfterFailure(park->second, *lane, now);
    } else if (park != parks_.end() && outcome.delivered && delivery.offset >= park->second.next_read) {
      // Its round is over (a failure beside it ended it) and the next one reads it again: not posted twice.
      park->second.delivered_late.insert(delivery.offset);
    }
    if (platform::LogEnabled(platform::LogLevel::kDebug)) {
      platform::LogDebug("webhook attempt", {{"endpoint", delivery.endpoint_id},
                                             {"eventId", delivery.event_id},
                                             {"partition", delivery.partition},
                                             {"offset", delivery.offset},
                                             {"httpStatus", outcome.http_status},
                                             {"delivered", outcome.delivered},
                                             {"parked", true}});
    }
    if (!outcome.delivered) AfterFailure(*lane, now);
    UpdateGauges();
    return;
  }

  const bool owned = partitions_.count({delivery.topic, delivery.partition}) > 0;
  if (!attempt.kept) {
    if (!outcome.delivered && owned) {
      if (const auto delay = RetryDelay(policy_.retry_schedule, delivery.attempts, random_())) {
        const auto due = now + *delay;
        Hold& hold = holds_[HoldOf(delivery)];
        hold.partition = delivery.partition;
        if (!hold.head_offset || delivery.offset < *hold.head_offset) {
          hold.head_offset = delivery.offset;
          hold.not_before = due;
        }
        KeepPending(delivery, due, now, true);
        ++hold.known;
        ++held_;
        // Its subject's later queued events follow it into the ledger with the back-off below.
      } else {
        delivery.status = DeliveryStatus::kFailed;  // no retries configured to wait for
        Keep(delivery, true);
      }
    } else {
      // Delivered, or (partition revoked) left to the next owner, which resumes before it.
      Resolve(delivery);
    }
  } else {
    retry_taken_.erase({delivery.endpoint_id, delivery.event_id});
    if (outcome.delivered) {
      delivery.status = DeliveryStatus::kDelivered;
      Keep(delivery);
      ReleaseOne(delivery);
    } else if (const auto delay = RetryDelay(policy_.retry_schedule, delivery.attempts, random_())) {
      const auto due = now + *delay;
      KeepPending(delivery, due, now);
      if (owned) {  // a revoked partition's subjects are the next owner's to order
        Hold& hold = holds_[HoldOf(delivery)];
        hold.partition = delivery.partition;
        hold.head_offset = delivery.offset;
        hold.not_before = due;
      }
      // Its subject's later deliveries taken for retry go back behind it.
      const auto key = KeyOf(delivery);
      std::erase_if(lane->retries, [&](Queued& queued) {
        if (KeyOf(queued.delivery) != key) return false;
        retry_taken_.erase({queued.delivery.endpoint_id, queued.delivery.event_id});
        KeepPending(queued.delivery, due, now);
        return true;
      });
    } else {
      delivery.status = DeliveryStatus::kFailed;  // the schedule is used up: listed as failed
      Keep(delivery);
      ReleaseOne(delivery);
    }
  }
  // Neither the URL (it may carry a token) nor the secret is logged.
  const bool final = !outcome.delivered && delivery.status == DeliveryStatus::kFailed;
  if (final || platform::LogEnabled(platform::LogLevel::kDebug)) {
    platform::LogFields fields{{"endpoint", delivery.endpoint_id},  {"eventId", delivery.event_id},
                               {"topic", delivery.topic},           {"partition", delivery.partition},
                               {"offset", delivery.offset},         {"attempts", delivery.attempts},
                               {"httpStatus", outcome.http_status}, {"delivered", outcome.delivered}};
    if (!outcome.delivered) fields["error"] = outcome.error;
    if (!attempt.request.traceparent.empty()) fields["traceId"] = codec::TraceIdOf(attempt.request.traceparent);
    if (final) {
      platform::LogWarn("webhook delivery failed after its last retry", fields);
    } else {
      platform::LogDebug("webhook attempt", fields);
    }
  }
  if (!outcome.delivered) {
    AfterFailure(*lane, now);
  }
  UpdateGauges();
}

void DispatcherCore::AfterFailure(Lane& lane, WallClock::time_point now) {
  if (ShouldDisable(lane.endpoint.failing_since, now, policy_.disable_after)) {
    const auto reason = DisabledReason(*lane.endpoint.failing_since);
    registry_.Disable(lane.endpoint.id, reason);
    lane.endpoint.disabled = true;
    lane.endpoint.disabled_reason = reason;
    if (metrics_) metrics_->Disabled();
    platform::LogWarn("webhook endpoint disabled", {{"endpoint", lane.endpoint.id}, {"reason", reason}});
    FailQueued(lane, "endpoint disabled", now);
    FailParks(lane.endpoint.id, "endpoint disabled");
    return;
  }
  BackOff(lane, now);
}

void DispatcherCore::BackOff(Lane& lane, WallClock::time_point now) {
  const auto delay = RetryDelay(policy_.retry_schedule, 1, random_());
  if (!delay) return;
  lane.backoff_until = std::max(lane.backoff_until, now + *delay);
  // Catch-up rounds of the endpoint end where they stand (what they queued stays covered by
  // their parks), due when the back-off ends.
  for (auto& [key, state] : parks_) {
    if (std::get<0>(key) == lane.endpoint.id && state.active) EndRound(key, state, lane.backoff_until);
  }
  // What waits for a failing endpoint leaves the queue for the ledger, due
  // when the back-off ends, instead of each waiting for its own timeout.
  for (auto& queued : lane.live) {
    if (queued.parked) continue;
    auto [hold_it, added] = holds_.try_emplace(HoldOf(queued.delivery));
    Hold& hold = hold_it->second;
    if (added) {
      hold.partition = queued.delivery.partition;
      hold.head_offset = queued.delivery.offset;
      hold.not_before = lane.backoff_until;
    }
    KeepBehindHold(queued.delivery, hold, now, true);
  }
  lane.live.clear();
  lane.live_subjects.clear();
  for (auto& queued : lane.retries) {
    retry_taken_.erase({queued.delivery.endpoint_id, queued.delivery.event_id});
    KeepPending(queued.delivery, std::max(lane.backoff_until, queued.delivery.next_attempt_at), now);
    auto hold = holds_.find(HoldOf(queued.delivery));
    if (hold != holds_.end() && hold->second.head_offset == queued.delivery.offset) {
      hold->second.not_before = std::max(hold->second.not_before, lane.backoff_until);
    }
  }
  lane.retries.clear();
}

void DispatcherCore::FailQueued(Lane& lane, const std::string& reason, WallClock::time_point now) {
  for (auto* queue : {&lane.live, &lane.retries}) {
    for (auto& queued : *queue) {
      Delivery delivery = queued.delivery;
      delivery.status = DeliveryStatus::kFailed;
      delivery.last_error = reason;
      delivery.updated_at = now;
      if (queued.parked) continue;  // its park's last round lists it
      if (queued.kept) {
        retry_taken_.erase({delivery.endpoint_id, delivery.event_id});
        ReleaseOne(delivery);
        Keep(std::move(delivery));
      } else {
        Keep(std::move(delivery), true);
      }
    }
    queue->clear();
  }
  lane.live_subjects.clear();
}

void DispatcherCore::DropQueued(Lane& lane) {
  for (auto& queued : lane.live) {
    if (!queued.parked) Resolve(queued.delivery);
  }
  for (auto& queued : lane.retries) retry_taken_.erase({queued.delivery.endpoint_id, queued.delivery.event_id});
  lane.live.clear();
  lane.retries.clear();
  lane.live_subjects.clear();
}

void DispatcherCore::SaveProgress() {
  for (auto& [key, progress] : partitions_) {
    if (const auto resume = progress.TakeChange()) ledger_.SaveResumeOffset(key.first, key.second, *resume);
  }
  for (auto& [key, state] : parks_) {
    if (!state.dirty) continue;
    state.park.from_offset = state.progress.Resume().value_or(state.park.from_offset);
    ledger_.SavePark(state.park);
    state.dirty = false;
  }
}

std::optional<platform::Offset> DispatcherCore::ResumeOffset(const std::string& topic,
                                                             platform::Partition partition) const {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return std::nullopt;
  return it->second.Resume();
}

std::size_t DispatcherCore::QueuedCount() const {
  std::size_t queued = 0;
  for (const auto& [id, lane] : lanes_) queued += lane.live.size() + lane.retries.size();
  return queued;
}

void DispatcherCore::UpdateGauges() {
  if (!metrics_) return;
  // Kept as a running count: summing every hold here, at every record, cost more than the rest.
  metrics_->SetRetriesPending(static_cast<std::size_t>(std::max<std::int64_t>(0, held_)));
  metrics_->SetQueued(QueuedCount());
  metrics_->SetParked(parks_.size());
}

bool DispatcherCore::Matches(const Lane& lane, std::string_view event_name) const {
  return std::any_of(lane.endpoint.events.begin(), lane.endpoint.events.end(),
                     [&](const std::string& pattern) { return codec::MatchesEventPattern(pattern, event_name); });
}

bool DispatcherCore::TryPark(const Lane& lane, const std::string& topic, platform::Partition partition,
                             platform::Offset offset, WallClock::time_point due) {
  Park park{lane.endpoint.id, topic, partition, offset, 0, due, {}, ownership_.at({topic, partition})};
  // Written at once (once per endpoint and partition each time it parks): the partition's
  // resume offset may pass the event as soon as this returns.
  try {
    ledger_.SavePark(park);
  } catch (const std::exception& error) {
    platform::LogWarn("webhooks: could not park an endpoint; its events go to the ledger",
                      {{"endpoint", lane.endpoint.id}, {"partition", partition}, {"error", error.what()}});
    return false;
  }
  ParkState state;
  state.progress = PartitionProgress(offset);
  state.next_read = offset;
  state.park = std::move(park);
  parks_.insert_or_assign({lane.endpoint.id, topic, partition}, std::move(state));
  return true;
}

void DispatcherCore::DropParkedQueued(Lane& lane, const ParkKey& key) {
  std::erase_if(lane.live, [&](const Queued& queued) {
    if (!queued.parked || ParkOf(queued.delivery) != key) return false;
    auto subject = lane.live_subjects.find(KeyOf(queued.delivery));
    if (subject != lane.live_subjects.end() && --subject->second <= 0) lane.live_subjects.erase(subject);
    return true;
  });
}

void DispatcherCore::EndRound(const ParkKey& key, ParkState& state, WallClock::time_point due) {
  // What the round handed out and is not resolved stays covered: the next round reads it again.
  state.park.from_offset = state.progress.Resume().value_or(state.park.from_offset);
  state.park.next_attempt_at = due;
  state.active = false;
  state.reading = false;
  state.round = next_round_++;  // attempts of the round that finish later no longer count
  state.progress = PartitionProgress(state.park.from_offset);
  state.next_read = state.park.from_offset;
  state.dirty = true;
  if (auto lane = lanes_.find(std::get<0>(key)); lane != lanes_.end()) DropParkedQueued(lane->second, key);
}

void DispatcherCore::ReParkAfterFailure(ParkState& state, Lane& lane, WallClock::time_point now) {
  (void)lane;
  const ParkKey key{state.park.endpoint_id, state.park.topic, state.park.partition};
  ++state.park.attempts;
  if (const auto delay = RetryDelay(policy_.retry_schedule, state.park.attempts, random_())) {
    EndRound(key, state, now + *delay);
  } else {
    // The schedule is used up: a last round lists what the park covers as failed.
    state.park.fail_reason = "retries used up";
    EndRound(key, state, now);
  }
}

void DispatcherCore::FailParks(const std::string& endpoint_id, const std::string& reason) {
  for (auto& [key, state] : parks_) {
    if (std::get<0>(key) != endpoint_id || state.Failing()) continue;
    state.park.fail_reason = reason;
    EndRound(key, state, {});
  }
}

std::optional<CatchUp> DispatcherCore::TakeCatchUp(WallClock::time_point now) {
  for (auto& [key, state] : parks_) {
    if (state.active) continue;
    const auto& [endpoint_id, topic, partition] = key;
    if (!partitions_.count({topic, partition})) continue;
    auto lane = lanes_.find(endpoint_id);
    if (lane == lanes_.end() || lane->second.removed) continue;
    if (lane->second.endpoint.disabled && !state.Failing()) {
      state.park.fail_reason = "endpoint disabled";
      state.dirty = true;
    }
    if (!state.Failing() && (state.park.next_attempt_at > now || lane->second.backoff_until > now)) continue;
    state.active = true;
    state.reading = true;
    state.round = next_round_++;
    state.progress = PartitionProgress(state.park.from_offset);
    state.next_read = state.park.from_offset;
    return CatchUp{endpoint_id, topic, partition, state.park.from_offset, state.round};
  }
  return std::nullopt;
}

CatchUpStep DispatcherCore::CatchUpRecord(const CatchUp& catch_up, const platform::ConsumedRecord& record,
                                          WallClock::time_point now) {
  auto it = parks_.find({catch_up.endpoint_id, catch_up.topic, catch_up.partition});
  if (it == parks_.end() || !it->second.reading || it->second.round != catch_up.round) return CatchUpStep::kStop;
  ParkState& state = it->second;
  if (record.offset < state.next_read) return CatchUpStep::kNext;  // handed in already
  auto lane_it = lanes_.find(catch_up.endpoint_id);
  if (lane_it == lanes_.end() || lane_it->second.removed) {
    parks_.erase(it);
    return CatchUpStep::kStop;
  }
  Lane& lane = lane_it->second;
  // Reading has not handed this record over yet: the catch-up reached it. Once everything the
  // round handed out is resolved the park ends, and reading hands the endpoint this record and
  // every later one; until then reading may go on, and so does the catch-up.
  if (auto read = read_next_.find({catch_up.topic, catch_up.partition});
      read != read_next_.end() && record.offset >= read->second) {
    return CatchUpIdle(catch_up, now) == CatchUpStep::kStop ? CatchUpStep::kStop : CatchUpStep::kWait;
  }
  if (!state.Failing() && lane.live.size() >= policy_.queue_per_endpoint) return CatchUpStep::kWait;
  state.next_read = record.offset + 1;
  if (state.delivered_late.erase(record.offset)) {  // delivered by an attempt of an ended round
    state.progress.Read(record.offset, 0);
    return CatchUpStep::kNext;
  }
  const auto type = HeaderOf(record.headers, "ce_type");
  const auto id = HeaderOf(record.headers, "ce_id");
  const std::string name = type ? std::string(codec::EventNameOfType(*type)) : std::string();
  std::optional<std::string> body;  // none for a log marker (no ce_ headers): passed like an unwanted event
  if (id && type && Matches(lane, name) && !platform::IsLogMarker(record.headers))
    body = codec::StructuredCloudEvent(record.value, record.headers);
  if (!body) {
    state.progress.Read(record.offset, 0);
    return CatchUpStep::kNext;
  }
  Delivery delivery;
  delivery.endpoint_id = catch_up.endpoint_id;
  delivery.event_id = *id;
  delivery.event_type = name;
  delivery.subject = record.key.empty() ? HeaderOf(record.headers, "ce_subject").value_or("") : record.key;
  delivery.topic = record.topic;
  delivery.partition = record.partition;
  delivery.offset = record.offset;
  delivery.body = std::move(*body);
  delivery.trace_parent = HeaderOf(record.headers, codec::kTraceParentHeader).value_or("");
  delivery.event_time = EventTime(record, now);
  delivery.updated_at = now;
  state.progress.Read(record.offset, 1);
  if (state.Failing()) {
    delivery.status = DeliveryStatus::kFailed;
    delivery.attempts = state.park.attempts;
    delivery.last_error = state.park.fail_reason;
    delivery.next_attempt_at = now;
    Keep(std::move(delivery), false, true);
    return CatchUpStep::kNext;
  }
  // Its subject waits in the ledger: it waits there too, behind it.
  if (auto hold = holds_.find(HoldOf(delivery)); hold != holds_.end()) {
    KeepBehindHold(std::move(delivery), hold->second, now, false, true);
    return CatchUpStep::kNext;
  }
  ++lane.live_subjects[KeyOf(delivery)];
  lane.live.push_back({std::move(delivery), false, true, state.round});
  UpdateGauges();
  // A failing endpoint gets one event per round (a probe); its outcome decides the next round.
  if (lane.endpoint.failing_since) {
    state.reading = false;
    return CatchUpStep::kStop;
  }
  return CatchUpStep::kNext;
}

CatchUpStep DispatcherCore::CatchUpIdle(const CatchUp& catch_up, WallClock::time_point now) {
  (void)now;
  auto it = parks_.find({catch_up.endpoint_id, catch_up.topic, catch_up.partition});
  if (it == parks_.end() || !it->second.reading || it->second.round != catch_up.round) return CatchUpStep::kStop;
  ParkState& state = it->second;
  auto read = read_next_.find({catch_up.topic, catch_up.partition});
  if (read == read_next_.end() || state.next_read < read->second) return CatchUpStep::kNext;
  if (state.progress.Resume() != state.next_read) return CatchUpStep::kWait;  // what it handed out is not all resolved
  // Caught up and resolved: reading hands the endpoint what comes next.
  if (!ledger_.DropPark(catch_up.endpoint_id, catch_up.topic, catch_up.partition, state.park.ownership)) {
    // No row carries this ownership any more: the partition was dealt to another instance while
    // this one stalled, and the park claimed (the row is the new owner's, who still relies on it),
    // or the endpoint was deleted meanwhile. This instance learns of a lost partition at its next poll.
    if (metrics_) metrics_->StaleParkDropped();
    platform::LogDebug("webhooks: park not dropped, its partition has a later owner",
                       {{"endpoint", catch_up.endpoint_id},
                        {"topic", catch_up.topic},
                        {"partition", catch_up.partition},
                        {"ownership", state.park.ownership}});
  }
  parks_.erase(it);
  return CatchUpStep::kStop;
}

void DispatcherCore::CatchUpFailed(const CatchUp& catch_up, WallClock::time_point now) {
  auto it = parks_.find({catch_up.endpoint_id, catch_up.topic, catch_up.partition});
  if (it == parks_.end() || it->second.round != catch_up.round || !it->second.active) return;
  EndRound(it->first, it->second, now + std::chrono::seconds(1));
}

}  // namespace orders::notifier::webhooks

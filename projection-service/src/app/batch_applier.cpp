#include <orders/projection/batch_applier.hpp>

#include <algorithm>
#include <utility>

#include <orders/codec/trace_context.hpp>
#include <orders/platform/log.hpp>

namespace orders::projection {
namespace {

const char* ReasonName(ParkedRecord::Reason reason) {
  switch (reason) {
    case ParkedRecord::Reason::kPoison:
      return "poison";
    case ParkedRecord::Reason::kGap:
      return "gap";
    case ParkedRecord::Reason::kInvalid:
      return "invalid";
  }
  return "poison";
}

nlohmann::json ToJson(const ExpectedOffsets& offsets) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [partition, offset] : offsets) {
    json[std::to_string(partition)] = offset ? nlohmann::json(*offset) : nlohmann::json(nullptr);
  }
  return json;
}

}  // namespace

BatchApplier::BatchApplier(ReadModelStore& store, VersionWaiters& waiters, ProjectionMetrics& metrics)
    : store_(store), waiters_(waiters), metrics_(metrics) {}

BatchApplier::~BatchApplier() { Stop(Clock::now() + std::chrono::seconds(5)); }

void BatchApplier::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void BatchApplier::GiveUpBy(Clock::time_point give_up) {
  std::lock_guard lock(mutex_);
  stop_give_up_ = std::min(stop_give_up_, give_up);
  changed_.notify_all();
}

void BatchApplier::Stop(Clock::time_point give_up) {
  if (!thread_.joinable()) return;
  GiveUpBy(give_up);
  Drain(give_up);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BatchApplier::Submit(DecodedBatch batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !in_flight_; });
  in_flight_ = std::move(batch);
  busy_.store(true, std::memory_order_release);
  changed_.notify_all();
}

void BatchApplier::Drain(Clock::time_point give_up) {
  std::unique_lock lock(mutex_);
  drain_give_up_ = give_up;
  changed_.notify_all();
  changed_.wait(lock, [&] { return !in_flight_; });
  drain_give_up_ = Clock::time_point::max();
}

void BatchApplier::Assign(const std::vector<platform::Partition>& partitions, const StorePosition& stored) {
  std::lock_guard lock(mutex_);
  generation_ = stored.generation;
  stored_.clear();
  for (auto partition : partitions) {
    const auto it = stored.offsets.find(partition);
    stored_[partition] = it == stored.offsets.end() ? std::nullopt : std::optional(it->second);
  }
  halted_ = false;
  positions_changed_ = true;
}

void BatchApplier::Forget(const std::vector<platform::Partition>& partitions) {
  std::lock_guard lock(mutex_);
  for (auto partition : partitions) stored_.erase(partition);
  positions_changed_ = true;
}

bool BatchApplier::Halted() const {
  std::lock_guard lock(mutex_);
  return halted_;
}

StoredOffsets BatchApplier::Committed() const {
  std::lock_guard lock(mutex_);
  StoredOffsets committed;
  for (const auto& [partition, offset] : stored_) {
    if (offset) committed[partition] = *offset;
  }
  return committed;
}

void BatchApplier::Loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || in_flight_; });
    if (!in_flight_) return;
    if (!halted_) {
      Fence fence{generation_, {}};
      for (const auto& [partition, end] : in_flight_->next_offsets) {
        const auto it = stored_.find(partition);
        fence.expected[partition] = it == stored_.end() ? std::nullopt : it->second;
      }
      const bool forget_known = std::exchange(positions_changed_, false);
      lock.unlock();
      if (forget_known) store_.ForgetKnownOrders();
      // Only this thread touches the batch while it is in flight.
      const bool keep_going = ApplyWithRetry(*in_flight_, fence);
      lock.lock();
      if (!keep_going) halted_ = true;
    }
    in_flight_.reset();
    busy_.store(false, std::memory_order_release);
    changed_.notify_all();
  }
}

bool BatchApplier::ApplyWithRetry(const DecodedBatch& batch, const Fence& fence) {
  auto backoff = std::chrono::milliseconds(50);
  while (true) {
    switch (ApplyOnce(batch, fence)) {
      case Outcome::kApplied:
        return true;
      case Outcome::kStoreMoved:
        return false;
      case Outcome::kFailed:
        break;
    }
    std::unique_lock lock(mutex_);
    const auto give_up = [&] { return std::min(drain_give_up_, stop_give_up_); };
    changed_.wait_for(lock, backoff, [&] { return Clock::now() >= give_up(); });
    if (Clock::now() >= give_up()) {
      platform::LogWarn("batch given up; its records will be read again from the stored offsets",
                        {{"records", batch.Size()}});
      return false;
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

BatchApplier::Outcome BatchApplier::ApplyOnce(const DecodedBatch& batch, const Fence& fence) {
  const auto started = Clock::now();
  auto outcome = store_.Apply(batch, fence, WriteMode::kFast);
  if (outcome.kind == ApplyOutcome::Kind::kRowsExist) {
    platform::LogWarn(
        "rows of the batch exist already (a placement repeated in the log, or an edited read model);"
        " writing the batch again, every order loaded and existing rows skipped",
        {{"error", outcome.error}});
    outcome = store_.Apply(batch, fence, WriteMode::kTolerant);
  }
  switch (outcome.kind) {
    case ApplyOutcome::Kind::kApplied:
      store_ok_.store(true);
      Committed(batch);
      metrics_.batch_seconds.Observe(std::chrono::duration<double>(Clock::now() - started).count());
      Publish(outcome.writes);
      LogApplied(batch);
      return Outcome::kApplied;
    case ApplyOutcome::Kind::kStoreMoved:
      store_ok_.store(true);
      StoreMoved(batch.topic, fence, outcome.stored);
      return Outcome::kStoreMoved;
    case ApplyOutcome::Kind::kInDoubt:
      platform::LogWarn("batch commit in doubt; checking stored offsets", {{"error", outcome.error}});
      return ResolveInDoubtCommit(batch, fence);
    case ApplyOutcome::Kind::kRowsExist:  // only kFast reports it
    case ApplyOutcome::Kind::kFailed:
      break;
  }
  StoreFailed("batch not applied; will retry", outcome.error, batch.Size());
  return Outcome::kFailed;
}

// The offsets stored in the same transaction say whether it committed.
BatchApplier::Outcome BatchApplier::ResolveInDoubtCommit(const DecodedBatch& batch, const Fence& fence) {
  std::vector<platform::Partition> partitions;
  for (const auto& [partition, end] : batch.next_offsets) partitions.push_back(partition);
  const auto stored = store_.LoadPosition(batch.topic, partitions);
  if (!stored) {
    StoreFailed("cannot resolve in-doubt batch yet", stored.error().message, batch.Size());
    return Outcome::kFailed;
  }
  switch (ResolveInDoubt(fence.generation, fence.expected, batch.next_offsets, *stored)) {
    case CommitFate::kCommitted:
      platform::LogInfo("in-doubt batch resolved", {{"committed", true}});
      Committed(batch);
      return Outcome::kApplied;
    case CommitFate::kNotCommitted:
      platform::LogInfo("in-doubt batch resolved", {{"committed", false}});
      return Outcome::kFailed;
    case CommitFate::kStoreMoved:
      StoreMoved(batch.topic, fence, *stored);
      return Outcome::kStoreMoved;
  }
  return Outcome::kFailed;
}

void BatchApplier::Committed(const DecodedBatch& batch) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& [partition, end] : batch.next_offsets) stored_[partition] = end;
  }
  metrics_.ObserveApplyLag(batch.appended_at_ms, std::chrono::system_clock::now());
}

void BatchApplier::StoreFailed(const std::string& what, const std::string& error, std::size_t records) {
  store_ok_.store(false);
  metrics_.store_failures.Inc();
  platform::LogWarn(what, {{"error", error}, {"records", records}});
}

void BatchApplier::StoreMoved(const std::string& topic, const Fence& fence, const StorePosition& stored) {
  platform::LogWarn("the store moved under the consumer; batch dropped, positions will be re-read",
                    {{"topic", topic},
                     {"expectedGeneration", fence.generation},
                     {"storedGeneration", stored.generation},
                     {"expected", ToJson(fence.expected)},
                     {"stored", nlohmann::json(stored.offsets)}});
  metrics_.repositions.Inc();
}

// At debug level, one line per event with its trace id: an order can be
// followed from the command API through the read model by its traceparent.
void BatchApplier::LogApplied(const DecodedBatch& batch) const {
  if (!platform::LogEnabled(platform::LogLevel::kDebug)) return;
  for (const auto& record : batch.events) {
    const auto& metadata = record.decoded.metadata;
    platform::LogFields fields{{"orderId", domain::OrderIdOf(record.decoded.event)},
                               {"event", codec::EventName(record.decoded.event)},
                               {"eventId", metadata.event_id},
                               {"offset", record.offset}};
    if (metadata.trace_parent) fields["traceId"] = codec::TraceIdOf(*metadata.trace_parent);
    platform::LogDebug("event applied", fields);
  }
}

void BatchApplier::Publish(const BatchWrites& writes) {
  metrics_.batches.Inc();
  metrics_.events_applied.Inc(writes.applied);
  metrics_.events_duplicate.Inc(writes.duplicates);
  for (const auto& parked : writes.parked) {
    auto& counter = parked.reason == ParkedRecord::Reason::kPoison ? metrics_.poison
                    : parked.reason == ParkedRecord::Reason::kGap  ? metrics_.gaps
                                                                   : metrics_.invalid;
    counter.Inc();
    platform::LogFields fields{
        {"reason", ReasonName(parked.reason)}, {"orderId", parked.order_id}, {"topic", parked.topic},
        {"partition", parked.partition},       {"offset", parked.offset},    {"error", parked.error}};
    if (!parked.product_id.empty()) fields["productId"] = parked.product_id;
    platform::LogWarn("record parked", fields);
  }
  std::map<std::string, std::int64_t> versions;
  for (const auto& order : writes.upserts) versions[order.order_id] = order.version;
  waiters_.Notify(versions);
  metrics_.waiters.Set(static_cast<double>(waiters_.Size()));
  if (platform::LogEnabled(platform::LogLevel::kDebug)) {
    platform::LogDebug("batch applied", {{"applied", writes.applied},
                                         {"duplicates", writes.duplicates},
                                         {"offsets", nlohmann::json(writes.next_offsets)}});
  }
}

}  // namespace orders::projection

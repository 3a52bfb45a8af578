#include <orders/projection/batch_applier.hpp>

#include <algorithm>
#include <utility>

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

BatchApplier::BatchApplier(std::string connection_string, VersionWaiters& waiters, ProjectionMetrics& metrics)
    : writer_(std::move(connection_string)), waiters_(waiters), metrics_(metrics) {}

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

bool BatchApplier::Busy() const {
  std::lock_guard lock(mutex_);
  return in_flight_.has_value();
}

void BatchApplier::Submit(DecodedBatch batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !in_flight_; });
  in_flight_ = std::move(batch);
  changed_.notify_all();
}

void BatchApplier::Drain(Clock::time_point give_up) {
  std::unique_lock lock(mutex_);
  drain_give_up_ = give_up;
  changed_.notify_all();
  changed_.wait(lock, [&] { return !in_flight_; });
  drain_give_up_ = Clock::time_point::max();
}

void BatchApplier::Assign(const std::vector<std::int32_t>& partitions, const StorePosition& stored) {
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

void BatchApplier::Forget(const std::vector<std::int32_t>& partitions) {
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
      ExpectedOffsets expected;
      for (const auto& [partition, end] : in_flight_->next_offsets) {
        const auto it = stored_.find(partition);
        expected[partition] = it == stored_.end() ? std::nullopt : it->second;
      }
      const bool forget_known = std::exchange(positions_changed_, false);
      const std::string generation = generation_;
      lock.unlock();
      if (forget_known) writer_.ForgetKnownOrders();
      // Only this thread touches the batch while it is in flight.
      const bool keep_going = ApplyWithRetry(*in_flight_, generation, expected);
      lock.lock();
      if (!keep_going) halted_ = true;
    }
    in_flight_.reset();
    changed_.notify_all();
  }
}

bool BatchApplier::ApplyWithRetry(const DecodedBatch& batch, const std::string& generation,
                                  const ExpectedOffsets& expected) {
  auto backoff = std::chrono::milliseconds(50);
  while (true) {
    switch (ApplyOnce(batch, generation, expected)) {
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

BatchApplier::Outcome BatchApplier::ApplyOnce(const DecodedBatch& batch, const std::string& generation,
                                              const ExpectedOffsets& expected) {
  const auto started = Clock::now();
  const auto committed = [&] {
    std::lock_guard lock(mutex_);
    for (const auto& [partition, end] : batch.next_offsets) stored_[partition] = end;
  };
  try {
    auto result = writer_.Apply(batch, generation, expected);
    store_ok_.store(true);
    if (!result.applied) {
      StoreMoved(batch.topic, generation, expected, result.stored);
      return Outcome::kStoreMoved;
    }
    committed();
    metrics_.ObserveApplyLag(batch.appended_at_ms, std::chrono::system_clock::now());
    metrics_.batch_seconds.Observe(std::chrono::duration<double>(Clock::now() - started).count());
    Publish(result.writes);
    return Outcome::kApplied;
  } catch (const pqxx::in_doubt_error& e) {
    platform::LogWarn("batch commit in doubt; checking stored offsets", {{"error", e.what()}});
  } catch (const std::exception& e) {
    store_ok_.store(false);
    metrics_.store_failures.Inc();
    writer_.Reset();
    platform::LogWarn("batch not applied; will retry", {{"error", e.what()}, {"records", batch.Size()}});
    return Outcome::kFailed;
  }
  // In doubt: the offsets stored in the same transaction say whether it committed.
  writer_.Reset();
  try {
    std::vector<std::int32_t> partitions;
    for (const auto& [partition, end] : batch.next_offsets) partitions.push_back(partition);
    const auto stored = writer_.LoadPosition(batch.topic, partitions);
    switch (ResolveInDoubt(generation, expected, batch.next_offsets, stored)) {
      case CommitFate::kCommitted:
        platform::LogInfo("in-doubt batch resolved", {{"committed", true}});
        committed();
        metrics_.ObserveApplyLag(batch.appended_at_ms, std::chrono::system_clock::now());
        return Outcome::kApplied;
      case CommitFate::kNotCommitted:
        platform::LogInfo("in-doubt batch resolved", {{"committed", false}});
        return Outcome::kFailed;
      case CommitFate::kStoreMoved:
        StoreMoved(batch.topic, generation, expected, stored);
        return Outcome::kStoreMoved;
    }
  } catch (const std::exception& e) {
    store_ok_.store(false);
    metrics_.store_failures.Inc();
    writer_.Reset();
    platform::LogWarn("cannot resolve in-doubt batch yet", {{"error", e.what()}});
  }
  return Outcome::kFailed;
}

void BatchApplier::StoreMoved(const std::string& topic, const std::string& generation, const ExpectedOffsets& expected,
                              const StorePosition& stored) {
  platform::LogWarn("the store moved under the consumer; batch dropped, positions will be re-read",
                    {{"topic", topic},
                     {"expectedGeneration", generation},
                     {"storedGeneration", stored.generation},
                     {"expected", ToJson(expected)},
                     {"stored", nlohmann::json(stored.offsets)}});
  metrics_.repositions.Inc();
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
    platform::LogWarn("record parked", {{"reason", ReasonName(parked.reason)},
                                        {"orderId", parked.order_id},
                                        {"topic", parked.topic},
                                        {"partition", parked.partition},
                                        {"offset", parked.offset},
                                        {"error", parked.error}});
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

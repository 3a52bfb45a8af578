#include <orders/projection/projector.hpp>

#include <algorithm>

#include <orders/platform/log.hpp>

namespace orders::projection {
namespace {

using Clock = std::chrono::steady_clock;

const char* ReasonName(ParkedRecord::Reason reason) {
  switch (reason) {
    case ParkedRecord::Reason::kPoison: return "poison";
    case ParkedRecord::Reason::kGap: return "gap";
    case ParkedRecord::Reason::kInvalid: return "invalid";
  }
  return "poison";
}

}  // namespace

Projector::Projector(const platform::ServiceConfig& config, std::string connection_string, VersionWaiters& waiters,
                     ProjectionMetrics& metrics, BatchPolicy policy)
    : config_(config), writer_(std::move(connection_string)), waiters_(waiters), metrics_(metrics), policy_(policy) {}

Projector::~Projector() { Stop(); }

bool Projector::Start(std::string& error) {
  platform::KafkaSettings settings{config_.kafka_brokers, config_.service_name, config_.consumer_group, {}};
  consumer_ = platform::KafkaConsumer::Create(settings, error);
  if (!consumer_) return false;
  if (!consumer_->Subscribe(config_.orders_topic, *this, error)) return false;
  thread_ = std::thread([this] { Run(); });
  return true;
}

void Projector::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::map<std::int32_t, std::int64_t> Projector::OnAssigned(const std::vector<std::int32_t>& partitions) {
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    try {
      auto stored = writer_.LoadOffsets(config_.orders_topic, partitions);
      store_ok_.store(true);
      std::map<std::int32_t, std::int64_t> start;
      for (auto partition : partitions) {
        auto it = stored.find(partition);
        start[partition] = it == stored.end() ? platform::kOffsetBeginning : it->second;
        positions_[partition] = it == stored.end() ? 0 : it->second;
      }
      platform::LogInfo("partitions assigned", {{"topic", config_.orders_topic},
                                                {"partitions", partitions},
                                                {"startOffsets", nlohmann::json(stored)}});
      joined_.store(true);
      return start;
    } catch (const std::exception& e) {
      store_ok_.store(false);
      metrics_.store_failures.Inc();
      writer_.Reset();
      platform::LogWarn("cannot read stored offsets; retrying", {{"error", e.what()}});
    }
    if (stop_.load()) return {};  // we will not consume anything more anyway
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

void Projector::OnRevoked(const std::vector<std::int32_t>& partitions) {
  // Commit what we have for them; if the database is down the records will be
  // redelivered from the stored offsets to whoever gets the partitions.
  if (!Flush(Clock::now() + std::chrono::seconds(2))) pending_.clear();
  for (auto partition : partitions) {
    positions_.erase(partition);
    metrics_.Lag(partition).Set(0);
  }
  platform::LogInfo("partitions revoked", {{"topic", config_.orders_topic}, {"partitions", partitions}});
}

void Projector::Run() {
  while (!stop_.load()) {
    const auto now = Clock::now();
    const auto timeout = policy_.PollTimeout(pending_.size(), first_pending_at_, now, std::chrono::milliseconds(100));
    auto result = consumer_->Poll(static_cast<int>(timeout.count()));
    switch (result.kind) {
      case platform::PollResult::Kind::kRecord:
        if (pending_.empty()) first_pending_at_ = Clock::now();
        positions_[result.record.partition] = result.record.offset + 1;
        pending_.push_back(std::move(result.record));
        break;
      case platform::PollResult::Kind::kPartitionEnd:
        metrics_.Lag(result.record.partition).Set(0);
        break;
      case platform::PollResult::Kind::kError:
        platform::LogWarn("kafka consumer error", {{"error", result.error}});
        break;
      case platform::PollResult::Kind::kTimeout:
        break;
    }
    if (policy_.Due(pending_.size(), first_pending_at_, Clock::now())) {
      Flush(Clock::time_point::max());
    }
    UpdateLag();
  }
  Flush(Clock::now() + std::chrono::seconds(5));
  consumer_->Close(5000);
}

bool Projector::Flush(Clock::time_point give_up) {
  auto backoff = std::chrono::milliseconds(50);
  while (!pending_.empty()) {
    if (ApplyOnce()) return true;
    if (Clock::now() >= give_up || (stop_.load() && give_up == Clock::time_point::max())) return false;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  return true;
}

bool Projector::ApplyOnce() {
  const auto started = Clock::now();
  const std::string topic = pending_.front().topic;
  std::map<std::int32_t, std::int64_t> batch_ends;
  for (const auto& record : pending_) batch_ends[record.partition] = std::max(batch_ends[record.partition], record.offset + 1);
  try {
    // DecodeBatch consumes its input; keep the records until the commit is known.
    auto writes = writer_.Apply(DecodeBatch(pending_));
    pending_.clear();
    store_ok_.store(true);
    metrics_.batch_seconds.Observe(std::chrono::duration<double>(Clock::now() - started).count());
    Publish(writes);
    return true;
  } catch (const pqxx::in_doubt_error& e) {
    platform::LogWarn("batch commit in doubt; checking stored offsets", {{"error", e.what()}});
  } catch (const std::exception& e) {
    store_ok_.store(false);
    metrics_.store_failures.Inc();
    writer_.Reset();
    platform::LogWarn("batch not applied; will retry", {{"error", e.what()}, {"records", pending_.size()}});
    return false;
  }
  // In doubt: the offsets stored in the same transaction say whether it committed.
  writer_.Reset();
  try {
    std::vector<std::int32_t> partitions;
    for (const auto& [partition, end] : batch_ends) partitions.push_back(partition);
    const auto stored = writer_.LoadOffsets(topic, partitions);
    const bool committed = std::all_of(batch_ends.begin(), batch_ends.end(), [&](const auto& entry) {
      auto it = stored.find(entry.first);
      return it != stored.end() && it->second >= entry.second;
    });
    platform::LogInfo("in-doubt batch resolved", {{"committed", committed}});
    if (committed) pending_.clear();
    return committed;
  } catch (const std::exception& e) {
    store_ok_.store(false);
    metrics_.store_failures.Inc();
    writer_.Reset();
    platform::LogWarn("cannot resolve in-doubt batch yet", {{"error", e.what()}});
    return false;
  }
}

void Projector::Publish(const BatchWrites& writes) {
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
    platform::LogDebug("batch applied", {{"applied", writes.applied}, {"duplicates", writes.duplicates},
                                         {"offsets", nlohmann::json(writes.next_offsets)}});
  }
}

void Projector::UpdateLag() {
  const auto now = Clock::now();
  if (now < next_lag_update_ || positions_.empty()) return;
  next_lag_update_ = now + std::chrono::seconds(2);
  const auto ends = consumer_->EndOffsets(config_.orders_topic, 500);
  if (!ends) return;
  for (const auto& [partition, position] : positions_) {
    auto it = ends->find(partition);
    if (it != ends->end()) metrics_.Lag(partition).Set(static_cast<double>(std::max<std::int64_t>(0, it->second - position)));
  }
}

}  // namespace orders::projection

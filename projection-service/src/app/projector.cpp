#include <orders/projection/projector.hpp>

#include <algorithm>

#include <orders/platform/kafka_properties.hpp>
#include <orders/platform/log.hpp>

namespace orders::projection {

Projector::Projector(const platform::ServiceConfig& config, std::vector<ReadModelStore*> stores,
                     VersionWaiters& waiters, ProjectionMetrics& metrics, BatchPolicy policy, Stream stream)
    : config_(config),
      topic_(stream == Stream::kOrders ? config.orders_topic : config.inventory_topic),
      // Not "<group>.<topic>": that is the command service's writer-group pattern, and with one
      // CONSUMER_GROUP for both services the two would share a group and split the partitions.
      group_(stream == Stream::kOrders ? config.consumer_group
                                       : config.consumer_group + ".stock-levels." + config.inventory_topic),
      store_(*stores.at(0)),
      metrics_(metrics) {
  for (auto* store : stores) lanes_.push_back(std::make_unique<Lane>(*store, waiters, metrics, policy, stream));
}

Projector::~Projector() { Stop(); }

platform::Result<void> Projector::Start() {
  if (auto connected = Connect(); !connected) return connected;
  for (auto& lane : lanes_) lane->applier.Start();
  thread_ = std::thread([this] { Run(); });
  return {};
}

platform::Result<void> Projector::Connect() {
  auto settings = platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties, config_.service_name,
                                                group_, platform::kBulkFetch);
  auto consumer = platform::KafkaConsumer::Create(settings);
  if (!consumer) return consumer.error();
  if (auto subscribed = (*consumer)->Subscribe(topic_, *this); !subscribed) return subscribed.error();
  consumer_ = std::move(*consumer);
  return {};
}

void Projector::Stop() {
  stop_.store(true);
  for (auto& lane : lanes_) {
    lane->applier.GiveUpBy(Clock::now() + std::chrono::seconds(5));  // a store that is down must not hold the stop
  }
  if (thread_.joinable()) thread_.join();
}

bool Projector::StoreHealthy() const {
  if (!offsets_ok_.load()) return false;
  for (const auto& lane : lanes_) {
    if (!lane->applier.StoreOk()) return false;
  }
  return true;
}

void Projector::DrainAll(Clock::time_point give_up) {
  for (auto& lane : lanes_) lane->applier.Drain(give_up);
}

platform::PartitionOffsets Projector::OnAssigned(const std::vector<platform::Partition>& partitions) {
  DrainAll(Clock::now() + std::chrono::seconds(2));
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    const auto stored = store_.LoadPosition(topic_, partitions);
    if (stored) {
      offsets_ok_.store(true);
      AssignLanes(partitions, *stored);
      platform::PartitionOffsets start;
      for (auto partition : partitions) {
        auto it = stored->offsets.find(partition);
        start[partition] = it == stored->offsets.end() ? platform::kOffsetBeginning : it->second;
        positions_[partition] = it == stored->offsets.end() ? 0 : it->second;
      }
      platform::LogInfo("partitions assigned", {{"topic", topic_},
                                                {"partitions", partitions},
                                                {"generation", stored->generation},
                                                {"startOffsets", nlohmann::json(stored->offsets)}});
      joined_.store(true);
      return start;
    }
    offsets_ok_.store(false);
    metrics_.store_failures.Inc();
    platform::LogWarn("cannot read stored offsets; retrying", {{"error", stored.error().message}});
    if (stop_.load()) return {};  // we will not consume anything more anyway
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

void Projector::AssignLanes(const std::vector<platform::Partition>& partitions, const StorePosition& stored) {
  std::vector<std::vector<platform::Partition>> of_lane(lanes_.size());
  for (auto partition : partitions) of_lane[static_cast<std::size_t>(partition) % width_].push_back(partition);
  for (std::size_t i = 0; i < lanes_.size(); ++i) lanes_[i]->applier.Assign(of_lane[i], stored);
}

void Projector::AdjustWidth(Clock::time_point now) {
  // Records behind the end at which the lanes widen, and at which they narrow again (apart, so that a lag
  // around one of them does not switch back and forth). A live stream trails by a batch or two.
  constexpr platform::Offset kWidenAt = 20000;
  constexpr platform::Offset kNarrowAt = 2000;
  if (lanes_.size() < 2 || now < next_width_check_ || positions_.empty()) return;
  next_width_check_ = now + std::chrono::milliseconds(200);
  std::vector<platform::Partition> partitions;
  for (const auto& [partition, position] : positions_) partitions.push_back(partition);
  const auto ends = consumer_->CachedEndOffsets(topic_, partitions);
  // Behind: what the consumer has still to fetch, and what it fetched but no writer has taken yet (it reads
  // ahead of the writers by up to a full batch each).
  platform::Offset behind = 0;
  for (const auto& lane : lanes_) behind += static_cast<platform::Offset>(lane->builder.size());
  for (const auto& [partition, position] : positions_) {
    if (auto it = ends.find(partition); it != ends.end())
      behind += std::max<platform::Offset>(0, it->second - position);
  }
  if (width_ == 1 && behind >= kWidenAt) Reassign(lanes_.size());
  if (width_ > 1 && behind <= kNarrowAt) Reassign(1);
}

void Projector::Reassign(std::size_t width) {
  if (!StoreHealthy()) return;  // a failing store: keep the lanes as they are until it answers again
  Settle(Clock::now() + std::chrono::seconds(2));
  for (const auto& lane : lanes_) {
    if (lane->applier.Halted()) return;  // the loop rejoins the group, which assigns the lanes afresh
  }
  std::vector<platform::Partition> partitions;
  for (const auto& [partition, position] : positions_) partitions.push_back(partition);
  const auto stored = store_.LoadPosition(topic_, partitions);
  if (!stored) return;  // the lanes keep their positions; the next check tries again
  width_ = width;
  // Catching up, each lane's batches wait for this many records (BatchBuilder::SetCatchUpRecords).
  constexpr std::size_t kCatchUpBatchRecords = 40000;
  for (auto& lane : lanes_) lane->builder.SetCatchUpRecords(width_ > 1 ? kCatchUpBatchRecords : 0);
  AssignLanes(partitions, *stored);
  platform::LogInfo("writers", {{"topic", topic_}, {"lanes", width_}});
}

void Projector::OnRevoked(const std::vector<platform::Partition>& partitions) {
  // Commit what we have for them; if the store is down the records will be
  // read again from the stored offsets by whoever gets the partitions.
  Settle(Clock::now() + std::chrono::seconds(2));
  for (auto& lane : lanes_) lane->applier.Forget(partitions);
  for (auto partition : partitions) {
    positions_.erase(partition);
    metrics_.Lag(topic_, partition).Set(0);
  }
  platform::LogInfo("partitions revoked", {{"topic", topic_}, {"partitions", partitions}});
}

void Projector::Run() {
  while (!stop_.load()) {
    const auto before_poll = Clock::now();
    auto timeout = std::chrono::milliseconds::max();
    for (const auto& lane : lanes_) {
      timeout = std::min(timeout, lane->builder.PollTimeout(lane->applier, before_poll));
    }
    auto result = consumer_->Poll(static_cast<int>(timeout.count()));
    switch (result.kind) {
      case platform::PollResult::Kind::kRecord:
      case platform::PollResult::Kind::kMarker: {  // the batch stores a marker's offset and applies nothing
        const auto partition = result.record.partition;
        if (!positions_.count(partition)) break;  // a stale fetch of a partition we gave up
        positions_[partition] = result.record.offset + 1;
        LaneOf(partition).builder.Add(std::move(result.record));
        break;
      }
      case platform::PollResult::Kind::kPartitionEnd:
        metrics_.Lag(topic_, result.record.partition).Set(0);
        break;
      case platform::PollResult::Kind::kError:
        platform::LogWarn("kafka consumer error", {{"error", result.error}});
        break;
      case platform::PollResult::Kind::kTimeout:
        for (auto& lane : lanes_) lane->builder.Drained();
        break;
    }
    bool halted = false;
    const auto now = Clock::now();  // once for every lane and check below
    for (auto& lane : lanes_) {
      lane->builder.HandOff(lane->applier, now);
      halted = halted || lane->applier.Halted();
    }
    // One lane halted: every lane rejoins (the consumer is one), from the offsets stored now.
    if (halted && !positions_.empty()) Rejoin();
    AdjustWidth(now);
    UpdateLag(now);
  }
  Settle(Clock::now() + std::chrono::seconds(5));
  for (auto& lane : lanes_) lane->applier.Stop(Clock::now() + std::chrono::seconds(5));
  consumer_->Close(5000);
}

void Projector::Settle(Clock::time_point give_up) {
  DrainAll(give_up);
  for (auto& lane : lanes_) {
    if (lane->builder.size() > 0) lane->builder.Flush(lane->applier);
  }
  DrainAll(give_up);
}

void Projector::Rejoin() {
  for (auto& lane : lanes_) lane->builder.Clear();
  DrainAll(Clock::now() + std::chrono::seconds(2));
  consumer_->Close(5000);  // revokes (nothing is pending) and leaves the group
  positions_.clear();
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_.load()) {
    const auto connected = Connect();
    if (connected) return;
    platform::LogWarn("cannot rejoin the consumer group; retrying", {{"error", connected.error().message}});
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

void Projector::UpdateLag(Clock::time_point now) {
  if (now < next_lag_update_ || positions_.empty()) return;
  next_lag_update_ = now + std::chrono::seconds(2);
  // The watermarks of the last fetches, not a query to the leaders: a query to a leader that has just died does
  // not return (librdkafka 2.0.2), and this thread is the one that hands records to the store.
  std::vector<platform::Partition> partitions;
  for (const auto& [partition, position] : positions_) partitions.push_back(partition);
  const auto ends = consumer_->CachedEndOffsets(topic_, partitions);
  for (const auto& [partition, position] : positions_) {
    auto it = ends.find(partition);
    if (it != ends.end())
      metrics_.Lag(topic_, partition).Set(static_cast<double>(std::max<platform::Offset>(0, it->second - position)));
  }
}

}  // namespace orders::projection

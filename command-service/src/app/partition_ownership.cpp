#include <orders/command/partition_ownership.hpp>

#include <algorithm>
#include <chrono>

#include <orders/command/partitioning.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/uuid.hpp>

namespace orders::command {

PartitionOwnership::PartitionOwnership(platform::KafkaSettings settings, std::string topic, const LogFollower& follower,
                                       std::function<std::int64_t(platform::Partition)> in_flight)
    : settings_(std::move(settings)), topic_(std::move(topic)), follower_(follower), in_flight_(std::move(in_flight)) {}

PartitionOwnership::~PartitionOwnership() { Stop(); }

void PartitionOwnership::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PartitionOwnership::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::optional<platform::Partition> PartitionOwnership::WritablePartition(const std::string& order_id) const {
  const std::int32_t partitions = follower_.PartitionCount();
  if (partitions <= 0) return std::nullopt;
  const platform::Partition partition = PartitionOf(order_id, partitions);
  if (!MayWrite(partition)) return std::nullopt;
  return partition;
}

bool PartitionOwnership::MayWrite(platform::Partition partition) const {
  std::lock_guard lock(mutex_);
  auto it = owned_.find(partition);
  return it != owned_.end() && it->second != kUnknownEnd && follower_.Position(partition) >= it->second;
}

std::string PartitionOwnership::NewOrderId(const std::optional<std::string>& idempotency_key) const {
  return command::NewOrderId([] { return platform::NewUuid(); }, idempotency_key, follower_.PartitionCount(),
                             [this](platform::Partition partition) { return MayWrite(partition); });
}

bool PartitionOwnership::ReadyToWrite() const {
  std::lock_guard lock(mutex_);
  if (owned_.empty()) return false;
  for (const auto& [partition, catch_up_to] : owned_) {
    if (catch_up_to == kUnknownEnd || follower_.Position(partition) < catch_up_to) return false;
  }
  return true;
}

std::size_t PartitionOwnership::OwnedCount() const {
  std::lock_guard lock(mutex_);
  return owned_.size();
}

platform::PartitionOffsets PartitionOwnership::OnAssigned(const std::vector<platform::Partition>& partitions) {
  // The previous owner finished its appends before giving the partition up,
  // so the end offsets now bound everything it wrote.
  auto ends = consumer_->EndOffsets(topic_, 2000);
  std::lock_guard lock(mutex_);
  for (auto partition : partitions) {
    // Unknown (broker busy): Run() asks again; the partition is not writable until then.
    owned_[partition] = ends && ends->count(partition) ? ends->at(partition) : kUnknownEnd;
  }
  platform::LogInfo("partitions assigned to this writer",
                    {{"topic", topic_}, {"partitions", partitions}, {"owned", owned_.size()}});
  return {};
}

void PartitionOwnership::OnRevoked(const std::vector<platform::Partition>& partitions) {
  {
    std::lock_guard lock(mutex_);
    for (auto partition : partitions) owned_.erase(partition);
  }
  // Commands already deciding for these partitions finish their appends
  // before the group may give the partitions to another instance.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto partition : partitions) {
    while (in_flight_(partition) > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  platform::LogInfo("partitions revoked from this writer", {{"topic", topic_}, {"partitions", partitions}});
}

void PartitionOwnership::ResolveUnknownEnds() {
  {
    std::lock_guard lock(mutex_);
    if (std::none_of(owned_.begin(), owned_.end(), [](const auto& entry) { return entry.second == kUnknownEnd; })) {
      return;
    }
  }
  const auto ends = consumer_->EndOffsets(topic_, 1000);
  if (!ends) return;
  std::lock_guard lock(mutex_);
  for (auto& [partition, catch_up_to] : owned_) {
    if (catch_up_to == kUnknownEnd && ends->count(partition)) catch_up_to = ends->at(partition);
  }
}

platform::Result<std::unique_ptr<platform::KafkaConsumer>> PartitionOwnership::JoinWriterGroup() {
  auto consumer = platform::KafkaConsumer::Create(settings_);
  if (!consumer) return consumer.error();
  if (auto subscribed = (*consumer)->Subscribe(topic_, *this, /*membership_only=*/true); !subscribed) {
    return subscribed.error();
  }
  return consumer;
}

void PartitionOwnership::Run() {
  auto backoff = std::chrono::milliseconds(200);
  while (!stop_ && !consumer_) {
    auto joined = JoinWriterGroup();
    if (joined) {
      consumer_ = std::move(*joined);
      break;
    }
    platform::LogWarn("cannot join the writer group yet; retrying",
                      {{"error", joined.error().message}, {"retryInMs", backoff.count()}});
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  while (!stop_) {
    consumer_->Poll(100);  // serves group heartbeats and rebalance callbacks
    ResolveUnknownEnds();
  }
  if (consumer_) consumer_->Close(10000);  // leaves the group: the others take over at once
}

}  // namespace orders::command

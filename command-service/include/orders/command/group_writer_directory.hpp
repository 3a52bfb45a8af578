#pragma once
// The WriterDirectory read from Kafka: describes the writer group (the
// classic ListGroups and DescribeGroups requests) on a thread of its own,
// every `refresh` and sooner when asked about a partition it knows no writer for.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <orders/command/writer_directory.hpp>
#include <orders/platform/kafka_settings.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/result.hpp>

namespace orders::command {

class GroupWriterDirectory final : public WriterDirectory {
 public:
  // `settings`: how to reach the cluster (brokers, security); `group` and `topic`: the writer group and its topic;
  // `stream`: the label its metrics carry (orders, inventory).
  static platform::Result<std::unique_ptr<GroupWriterDirectory>> Start(
      const platform::KafkaSettings& settings, std::string group, std::string topic, platform::MetricsRegistry& metrics,
      const platform::Labels& stream, std::chrono::milliseconds refresh = std::chrono::seconds(2));
  ~GroupWriterDirectory() override;

  std::optional<std::string> WriterOf(platform::Partition partition) override;
  void Stale(platform::Partition partition) override;

 private:
  struct Handle;
  GroupWriterDirectory(std::unique_ptr<Handle> handle, std::string group, std::string topic,
                       platform::MetricsRegistry& metrics, const platform::Labels& stream,
                       std::chrono::milliseconds refresh);
  void Run();
  // The group's members and their partitions of `topic_`, or why the description failed.
  platform::Result<std::vector<WriterGroupMember>> Describe();

  std::unique_ptr<Handle> handle_;
  std::string group_;
  std::string topic_;
  std::chrono::milliseconds refresh_;
  platform::Counter& described_;
  platform::Counter& failed_;
  bool failing_ = false;  // logged once per outage
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool asked_ = false;
  std::map<platform::Partition, std::string> writers_;
  std::thread thread_;
};

}  // namespace orders::command

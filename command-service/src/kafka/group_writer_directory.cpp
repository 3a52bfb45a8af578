#include <orders/command/group_writer_directory.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <orders/platform/log.hpp>

namespace orders::command {
namespace {

constexpr int kDescribeTimeoutMs = 2000;

}  // namespace

// A client handle used only for the admin API.
struct GroupWriterDirectory::Handle {
  std::unique_ptr<RdKafka::Producer> client;
};

platform::Result<std::unique_ptr<GroupWriterDirectory>> GroupWriterDirectory::Start(
    const platform::KafkaSettings& settings, std::string group, std::string topic, platform::MetricsRegistry& metrics,
    const platform::Labels& stream, std::chrono::milliseconds refresh) {
  auto conf = platform::MakeProducerConf(settings);
  if (!conf) return conf.error();
  std::string error;
  auto handle = std::make_unique<Handle>();
  handle->client.reset(RdKafka::Producer::create(conf->get(), error));
  if (!handle->client) return platform::Fail("cannot create the writer directory's Kafka client: " + error);
  return std::unique_ptr<GroupWriterDirectory>(
      new GroupWriterDirectory(std::move(handle), std::move(group), std::move(topic), metrics, stream, refresh));
}

GroupWriterDirectory::GroupWriterDirectory(std::unique_ptr<Handle> handle, std::string group, std::string topic,
                                           platform::MetricsRegistry& metrics, const platform::Labels& stream,
                                           std::chrono::milliseconds refresh)
    : handle_(std::move(handle)),
      group_(std::move(group)),
      topic_(std::move(topic)),
      refresh_(refresh),
      described_(metrics.AddCounter("orders_command_writer_directory_refreshes_total",
                                    "Descriptions of the writer group (where each partition's writer listens)",
                                    platform::WithLabel(stream, "outcome", "ok"))),
      failed_(metrics.AddCounter("orders_command_writer_directory_refreshes_total",
                                 "Descriptions of the writer group (where each partition's writer listens)",
                                 platform::WithLabel(stream, "outcome", "failed"))) {
  thread_ = std::thread([this] { Run(); });
}

GroupWriterDirectory::~GroupWriterDirectory() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::string> GroupWriterDirectory::WriterOf(platform::Partition partition) {
  std::lock_guard lock(mutex_);
  auto it = writers_.find(partition);
  if (it != writers_.end()) return it->second;
  asked_ = true;  // look again now rather than at the next refresh
  wake_.notify_all();
  return std::nullopt;
}

void GroupWriterDirectory::Stale(platform::Partition) {
  std::lock_guard lock(mutex_);
  asked_ = true;
  wake_.notify_all();
}

void GroupWriterDirectory::Run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    auto members = Describe();
    (members ? described_ : failed_).Inc();
    if (!members && !failing_) {
      platform::LogWarn("cannot describe the writer group; forwarding uses the last known writers",
                        {{"group", group_}, {"why", members.error().message}});
    }
    failing_ = !members;
    lock.lock();
    if (members) writers_ = WritersByPartition(*members);
    asked_ = false;
    // At most one description per 200 ms however often a writer is missing.
    wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; });
    wake_.wait_for(lock, refresh_, [this] { return stop_ || asked_; });
  }
}

// The classic group listing (ListGroups, then DescribeGroups on the coordinator), not the admin API's
// DescribeConsumerGroups: librdkafka's admin path aborts the process when the coordinator's connection
// drops mid-request (an eonce refcount assertion, librdkafka issue 4605), i.e. whenever a broker dies.
platform::Result<std::vector<WriterGroupMember>> GroupWriterDirectory::Describe() {
  const rd_kafka_group_list* listed = nullptr;
  const auto error = rd_kafka_list_groups(handle_->client->c_ptr(), group_.c_str(), &listed, kDescribeTimeoutMs);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return platform::Error{rd_kafka_err2str(error)};
  std::unique_ptr<const rd_kafka_group_list, decltype(&rd_kafka_group_list_destroy)> list(listed,
                                                                                          &rd_kafka_group_list_destroy);
  const rd_kafka_group_info* group = nullptr;
  for (int i = 0; i < list->group_cnt; ++i) {
    if (group_ == list->groups[i].group && list->groups[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) group = &list->groups[i];
  }
  // Either the group has no members (yet, or any more) or its coordinator did not answer: the last
  // known writers stay (a writer that no longer writes a partition answers 503, which asks again).
  if (!group) return platform::Error{"no broker answered for the group"};
  std::vector<WriterGroupMember> members;
  for (int i = 0; i < group->member_cnt; ++i) {
    const auto& member = group->members[i];
    const std::string_view assignment(
        static_cast<const char*>(member.member_assignment),
        member.member_assignment ? static_cast<std::size_t>(member.member_assignment_size) : 0);
    auto partitions = PartitionsInAssignment(assignment, topic_);
    if (!partitions) return platform::Error{"a member's assignment is not in the consumer protocol"};
    members.push_back({member.client_id ? member.client_id : "", std::move(*partitions)});
  }
  return members;
}

}  // namespace orders::command

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

platform::Result<std::vector<WriterGroupMember>> GroupWriterDirectory::Describe() {
  rd_kafka_t* client = handle_->client->c_ptr();
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(rd_kafka_queue_new(client),
                                                                             &rd_kafka_queue_destroy);
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
      rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS), &rd_kafka_AdminOptions_destroy);
  char error[256];
  rd_kafka_AdminOptions_set_request_timeout(options.get(), kDescribeTimeoutMs, error, sizeof error);
  const char* groups[] = {group_.c_str()};
  rd_kafka_DescribeConsumerGroups(client, groups, 1, options.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), kDescribeTimeoutMs + 1000), &rd_kafka_event_destroy);
  if (!event) return platform::Error{"no answer"};
  if (rd_kafka_event_error(event.get())) return platform::Error{rd_kafka_event_error_string(event.get())};
  const auto* result = rd_kafka_event_DescribeConsumerGroups_result(event.get());
  if (!result) return platform::Error{std::string("unexpected event ") + rd_kafka_event_name(event.get())};
  std::size_t count = 0;
  const auto** descriptions = rd_kafka_DescribeConsumerGroups_result_groups(result, &count);
  if (count != 1) return platform::Error{"no description of the group"};
  if (const auto* error = rd_kafka_ConsumerGroupDescription_error(descriptions[0])) {
    return platform::Error{rd_kafka_error_string(error)};
  }
  std::vector<WriterGroupMember> members;
  const auto* group = descriptions[0];
  for (std::size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(group); ++i) {
    const auto* member = rd_kafka_ConsumerGroupDescription_member(group, i);
    WriterGroupMember described{rd_kafka_MemberDescription_client_id(member), {}};
    const auto* assignment = rd_kafka_MemberDescription_assignment(member);
    const auto* partitions = assignment ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
    for (int p = 0; partitions && p < partitions->cnt; ++p) {
      if (topic_ == partitions->elems[p].topic) described.partitions.push_back(partitions->elems[p].partition);
    }
    members.push_back(std::move(described));
  }
  return members;
}

}  // namespace orders::command

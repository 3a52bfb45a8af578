#include <orders/testing/test_env.hpp>

#include <orders/testing/created_resources.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include <librdkafka/rdkafka.h>
#include <pqxx/pqxx>

namespace orders::testing {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

using KafkaHandle = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

KafkaHandle NewAdminClient(std::string& error, const std::map<std::string, std::string>& properties = {}) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", KafkaBrokers().c_str(), errstr, sizeof errstr);
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      error = errstr;
      rd_kafka_conf_destroy(conf);
      return KafkaHandle(nullptr, &rd_kafka_destroy);
    }
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!handle) error = errstr;
  return KafkaHandle(handle, &rd_kafka_destroy);
}

}  // namespace

std::string KafkaBrokers() { return EnvOr("KAFKA_BROKERS", "127.0.0.1:9092"); }

std::string DatabaseUrl() { return EnvOr("DATABASE_URL", "postgresql://orders@127.0.0.1:55432/orders"); }

bool InfraRequired() { return EnvOr("ORDERS_TEST_REQUIRE_INFRA", "0") == "1"; }

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const unsigned seed = std::random_device{}();
  std::mt19937 random(seed + static_cast<unsigned>(counter.load()));
  std::string name = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                     std::to_string(random() % 100000);
  RecordCreatedName(name);
  return name;
}

std::string DeleteRecordsBefore(const std::string& topic, const std::map<int, std::int64_t>& offsets) {
  std::string error;
  auto admin = NewAdminClient(error, {});
  if (!admin) return error;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [partition, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
  }
  rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(list);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
  rd_kafka_DeleteRecords(admin.get(), &request, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  if (!event) {
    error = "DeleteRecords timed out";
  } else if (rd_kafka_event_error(event)) {
    error = rd_kafka_event_error_string(event);
  } else {
    const auto* done = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event));
    for (int i = 0; done && i < done->cnt; ++i) {
      if (done->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) error = rd_kafka_err2str(done->elems[i].err);
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_DeleteRecords_destroy(request);
  return error;
}

std::string CreateTopic(const std::string& name, int partitions, int replication_factor,
                        const std::map<std::string, std::string>& properties) {
  std::string error;
  auto admin = NewAdminClient(error, properties);
  if (!admin) return error;
  char errstr[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, replication_factor, errstr, sizeof errstr);
  if (!topic) return errstr;
  rd_kafka_NewTopic_set_config(topic, "retention.ms", "-1");
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
  rd_kafka_CreateTopics(admin.get(), &topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  if (!event) {
    error = "CreateTopics timed out";
  } else if (rd_kafka_event_error(event)) {
    error = rd_kafka_event_error_string(event);
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        error = rd_kafka_topic_result_error_string(results[i]);
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  if (!error.empty()) return error;

  // Wait until every partition has a leader.
  rd_kafka_topic_t* handle = rd_kafka_topic_new(admin.get(), name.c_str(), nullptr);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(admin.get(), 0, handle, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool ready = metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                   metadata->topics[0].partition_cnt == partitions;
      for (int p = 0; ready && p < metadata->topics[0].partition_cnt; ++p) {
        ready = metadata->topics[0].partitions[p].leader >= 0;
      }
      rd_kafka_metadata_destroy(metadata);
      if (ready) {
        rd_kafka_topic_destroy(handle);
        return {};
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rd_kafka_topic_destroy(handle);
  return "topic " + name + " did not become ready";
}

int GroupMemberCount(const std::string& group) {
  std::string error;
  auto admin = NewAdminClient(error);
  if (!admin) return -1;
  const rd_kafka_group_list* groups = nullptr;
  if (rd_kafka_list_groups(admin.get(), group.c_str(), &groups, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  int members = 0;
  for (int i = 0; i < groups->group_cnt; ++i) {
    if (groups->groups[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      members = -1;
      break;
    }
    members += groups->groups[i].member_cnt;
  }
  rd_kafka_group_list_destroy(groups);
  return members;
}

bool KafkaReachable() {
  static const bool reachable = [] {
    std::string error;
    auto admin = NewAdminClient(error);
    if (!admin) return false;
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(admin.get(), 1, nullptr, &metadata, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    rd_kafka_metadata_destroy(metadata);
    return true;
  }();
  return reachable;
}

bool PostgresReachable() {
  static const bool reachable = [] {
    try {
      pqxx::connection connection(DatabaseUrl());
      return connection.is_open();
    } catch (const std::exception&) {
      return false;
    }
  }();
  return reachable;
}

}  // namespace orders::testing

#include <orders/testing/created_resources.hpp>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>
#include <set>
#include <vector>

namespace orders::testing {
namespace {

std::mutex names_mutex;
std::set<std::string>& Names() {
  static std::set<std::string> names;
  return names;
}

std::vector<std::string> TakeNames() {
  std::lock_guard lock(names_mutex);
  std::vector<std::string> names(Names().begin(), Names().end());
  Names().clear();
  return names;
}

// Runs one admin request (topics or groups) and waits for its result event; the per-name
// outcomes (unknown topic, group not found) are deliberately not inspected.
template <typename Build>
void RunAdminRequest(rd_kafka_t* admin, Build build) {
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
  build(queue);
  if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 15000)) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
}

void DeleteTopicsAndGroups(const std::vector<std::string>& names) {
  if (!KafkaReachable()) return;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", KafkaBrokers().c_str(), errstr, sizeof errstr);
  rd_kafka_t* admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!admin) return;
  std::vector<rd_kafka_DeleteTopic_t*> topics;
  std::vector<rd_kafka_DeleteGroup_t*> groups;
  for (const std::string& name : names) {
    topics.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
    groups.push_back(rd_kafka_DeleteGroup_new(name.c_str()));
  }
  RunAdminRequest(admin, [&](rd_kafka_queue_t* queue) {
    rd_kafka_DeleteTopics(admin, topics.data(), topics.size(), nullptr, queue);
  });
  RunAdminRequest(admin, [&](rd_kafka_queue_t* queue) {
    rd_kafka_DeleteGroups(admin, groups.data(), groups.size(), nullptr, queue);
  });
  rd_kafka_DeleteTopic_destroy_array(topics.data(), topics.size());
  rd_kafka_DeleteGroup_destroy_array(groups.data(), groups.size());
  rd_kafka_destroy(admin);
}

void DropSchemas(const std::vector<std::string>& names) {
  if (!PostgresReachable()) return;
  try {
    pqxx::connection connection(DatabaseUrl());
    pqxx::work tx(connection);
    for (std::string name : names) {
      std::replace(name.begin(), name.end(), '-', '_');
      const pqxx::result schemas =
          tx.exec("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, " + tx.quote(name) + ")");
      for (const auto& row : schemas) {
        tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(row[0].as<std::string>()) + " CASCADE");
      }
    }
    tx.commit();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "note: could not drop the test's schemas: %s\n", error.what());
  }
}

class DeleteCreatedResourcesAtExit : public ::testing::Environment {
 public:
  void TearDown() override { DeleteCreatedResources(); }
};

[[maybe_unused]] const auto* const registered = ::testing::AddGlobalTestEnvironment(new DeleteCreatedResourcesAtExit);

}  // namespace

void RecordCreatedName(const std::string& name) {
  std::lock_guard lock(names_mutex);
  Names().insert(name);
}

void DeleteCreatedResources() {
  std::vector<std::string> names = TakeNames();
  if (names.empty()) return;
  DeleteTopicsAndGroups(names);
  DropSchemas(names);
}

}  // namespace orders::testing

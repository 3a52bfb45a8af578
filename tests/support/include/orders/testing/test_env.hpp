#pragma once
// Where the real Kafka and PostgreSQL of the tests are, and unique names so
// tests can run beside a running stack and beside each other.
//
// Integration tests call RequireKafka()/RequirePostgres() first. When
// ORDERS_TEST_REQUIRE_INFRA=1 (set by ./infra/test.sh) an unreachable server
// fails the test; otherwise the test is skipped with a message saying why.

#include <cstdint>
#include <map>
#include <string>

namespace orders::testing {

std::string KafkaBrokers();  // $KAFKA_BROKERS or 127.0.0.1:9092
std::string DatabaseUrl();   // $DATABASE_URL or the local stack's URL
bool InfraRequired();

// "<prefix>-<pid>-<counter>-<random>", valid as topic, group and schema name.
std::string UniqueName(const std::string& prefix);

// Creates a topic with `partitions` partitions and infinite retention; waits
// until its metadata is visible. Returns an error text or empty on success.
// `replication_factor` -1: the broker's default (3 on a PrivateKafkaCluster).
// `properties`: librdkafka properties of the admin client (e.g. SASL/TLS for a secured broker).
std::string CreateTopic(const std::string& name, int partitions, int replication_factor = 1,
                        const std::map<std::string, std::string>& properties = {});

// Deletes every record of `topic` before the given offset of each partition (the admin API's
// DeleteRecords: what retention does to old segments), so the partition's first offset moves there.
// Returns an error text or empty on success.
std::string DeleteRecordsBefore(const std::string& topic, const std::map<int, std::int64_t>& offsets);

// How many members the consumer group has now, as its coordinator says (0
// for an empty or unknown group); -1 when the broker could not be asked.
int GroupMemberCount(const std::string& group);

bool KafkaReachable();
bool PostgresReachable();

}  // namespace orders::testing

// Skips (or fails when infra is required) the current test when the server is
// not reachable.
#define ORDERS_REQUIRE_KAFKA()                                                       \
  do {                                                                               \
    if (!::orders::testing::KafkaReachable()) {                                      \
      if (::orders::testing::InfraRequired())                                        \
        FAIL() << "Kafka is not reachable at " << ::orders::testing::KafkaBrokers(); \
      GTEST_SKIP() << "Kafka is not reachable; run through ./infra/test.sh";         \
    }                                                                                \
  } while (0)

#define ORDERS_REQUIRE_POSTGRES()                                                        \
  do {                                                                                   \
    if (!::orders::testing::PostgresReachable()) {                                       \
      if (::orders::testing::InfraRequired())                                            \
        FAIL() << "PostgreSQL is not reachable at " << ::orders::testing::DatabaseUrl(); \
      GTEST_SKIP() << "PostgreSQL is not reachable; run through ./infra/test.sh";        \
    }                                                                                    \
  } while (0)

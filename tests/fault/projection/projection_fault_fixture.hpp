#pragma once
// Fault tests of the projection: the integration fixture (real Kafka, real
// PostgreSQL, own topic, schema and group, a background producer) plus a
// SIGKILL that is proven to land inside a batch transaction, and the full
// end-state check.

#include <atomic>
#include <chrono>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <orders/testing/kill_mid_batch.hpp>
#include <orders/testing/private_postgres.hpp>

#include "projection_fixture.hpp"

namespace orders::testing {

// `url` with libpq's application_name set, so a service's sessions can be
// found in pg_stat_activity.
inline std::string WithApplicationName(const std::string& url, const std::string& name) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

// The partitions of the service's most recent "partitions assigned" log line
// (nullopt before the first one), and whether it ever logged a revocation.
inline std::optional<std::vector<int>> LastAssignment(ServiceProcess& service) {
  std::optional<std::vector<int>> last;
  for (const auto& line : service.LogLines()) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("msg", "") == "partitions assigned") {
      last = json.value("partitions", std::vector<int>{});
    }
  }
  return last;
}

inline bool EverRevoked(ServiceProcess& service) {
  for (const auto& line : service.LogLines()) {
    if (line.find("\"partitions revoked\"") != std::string::npos) return true;
  }
  return false;
}

class ProjectionFaultTest : public ProjectionTest {
 protected:
  // True once the stored offsets have grown by `events` from now on.
  bool WaitForProgress(std::int64_t events, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto start = StoredOffsetsTotal();
    return Eventually([&] { return StoredOffsetsTotal() >= std::max<std::int64_t>(start, 0) + events; }, timeout);
  }

  // SIGKILLs `service` inside a batch transaction of the sessions named
  // `application_name` (see orders/testing/kill_mid_batch.hpp); returns the
  // transaction's fate, nullopt when no batch was seen in flight.
  std::optional<std::string> KillMidBatch(ServiceProcess& service, const std::string& application_name) {
    return orders::testing::KillMidBatch(DatabaseUrl(), application_name, [&] { service.Kill(); });
  }

  // The end state every fault test demands, once the log is fully applied:
  // orders and history equal the fold (each event exactly once), the stored
  // offsets are the partitions' ends, nothing was parked.
  void ExpectReadModelEqualsTheWholeLog(ServiceProcess* other = nullptr) {
    WaitUntilCaughtUp(std::chrono::seconds(60));
    if (HasFatalFailure()) {
      if (other) ADD_FAILURE() << "the other instance's log:\n" << other->LogText();
      return;
    }
    ExpectReadModelEqualsFold();
    ExpectHistoryEqualsFold();
    ExpectStoredOffsetsAtTopicEnd();
    EXPECT_EQ(Count("poison_events"), 0);
  }

  std::unique_ptr<PrivatePostgres> private_postgres_;  // outlives TearDown's DROP SCHEMA
};

}  // namespace orders::testing

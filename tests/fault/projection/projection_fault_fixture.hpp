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

  // Waits (polling every millisecond) until the sessions named
  // `application_name` hold a transaction that has already written (a batch
  // in flight), SIGKILLs `service` at once, and returns that transaction's
  // fate as PostgreSQL records it: "aborted" when the kill interrupted the
  // batch, "committed" when the commit won the race. nullopt when no batch was
  // seen in flight (nothing was killed).
  std::optional<std::string> KillMidBatch(ServiceProcess& service, const std::string& application_name) {
    pqxx::connection observer(DatabaseUrl());
    std::string xid;
    const bool seen = Eventually(
        [&] {
          pqxx::nontransaction tx(observer);
          const auto rows = tx.exec_params(
              "SELECT ((pg_snapshot_xmax(pg_current_snapshot())::text::bigint >> 32 << 32)"
              " | backend_xid::text::bigint)::text"
              " FROM pg_stat_activity WHERE application_name = $1 AND backend_xid IS NOT NULL LIMIT 1",
              application_name);
          if (rows.empty()) return false;
          service.Kill();
          xid = rows[0][0].as<std::string>();
          return true;
        },
        std::chrono::seconds(30), std::chrono::milliseconds(1));
    if (!seen) return std::nullopt;
    std::string fate = "in progress";
    Eventually([&] {
      pqxx::nontransaction tx(observer);
      fate = tx.exec_params1("SELECT coalesce(pg_xact_status($1::xid8), 'unknown')", xid)[0].as<std::string>();
      return fate != "in progress";
    });
    return fate;
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

#pragma once
// A SIGKILL proven to land inside a database transaction: used by the fault
// tests of the projection and of the whole platform. Header-only (it needs
// libpqxx, which only those tests link).

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <orders/testing/eventually.hpp>
#include <pqxx/pqxx>

namespace orders::testing {

// Waits (polling every millisecond, up to `timeout`) until a session of the
// database at `observer_url` named `application_name` (libpq's
// application_name) holds a transaction that has already written (a batch in
// flight), calls `kill` at once, and returns that transaction's fate as
// PostgreSQL records it: "aborted" when the kill interrupted the batch,
// "committed" when the commit won the race. nullopt when no such transaction
// was seen (and `kill` was not called).
inline std::optional<std::string> KillMidBatch(const std::string& observer_url, const std::string& application_name,
                                               const std::function<void()>& kill,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  pqxx::connection observer(observer_url);
  std::string xid;
  const bool seen = Eventually(
      [&] {
        pqxx::nontransaction tx(observer);
        // backend_xid is the 32-bit xid; widened to the xid8 of the current epoch for pg_xact_status.
        const auto rows = tx.exec_params(
            "SELECT ((pg_snapshot_xmax(pg_current_snapshot())::text::bigint >> 32 << 32)"
            " | backend_xid::text::bigint)::text"
            " FROM pg_stat_activity WHERE application_name = $1 AND backend_xid IS NOT NULL LIMIT 1",
            application_name);
        if (rows.empty()) return false;
        kill();
        xid = rows[0][0].as<std::string>();
        return true;
      },
      timeout, std::chrono::milliseconds(1));
  if (!seen) return std::nullopt;
  std::string fate = "in progress";
  Eventually([&] {
    pqxx::nontransaction tx(observer);
    fate = tx.exec_params1("SELECT coalesce(pg_xact_status($1::xid8), 'unknown')", xid)[0].as<std::string>();
    return fate != "in progress";
  });
  return fate;
}

}  // namespace orders::testing

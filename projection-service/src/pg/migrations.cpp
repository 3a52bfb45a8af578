#include "pg/migrations.hpp"

#include <set>

#include <orders/platform/log.hpp>

#include "pg/summary_statements.hpp"

namespace orders::projection {
namespace {

constexpr int kReportSummariesVersion = 6;

}  // namespace

std::vector<int> Migrate(pqxx::connection& connection, const std::string& schema) {
  pqxx::work tx(connection);
  // One lock per schema: instances migrating other schemas do not wait.
  tx.exec_params("SELECT pg_advisory_xact_lock(1869768046, hashtext($1))", schema);
  const std::string quoted = tx.quote_name(schema);
  tx.exec("CREATE SCHEMA IF NOT EXISTS " + quoted);
  tx.exec("SET LOCAL search_path TO " + quoted);
  tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int> applied;
  for (const auto& row : tx.exec("SELECT version FROM schema_migrations")) applied.insert(row[0].as<int>());
  std::vector<int> done;
  for (const auto& migration : EmbeddedMigrations()) {
    if (applied.count(migration.version)) continue;
    tx.exec(std::string(migration.sql));
    tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version,
                   std::string(migration.name));
    done.push_back(migration.version);
    // The report summaries start from the orders already stored (none in a fresh schema).
    if (migration.version == kReportSummariesVersion) SummariseStoredHistory(tx);
  }
  tx.commit();
  for (int version : done) platform::LogInfo("migration applied", {{"schema", schema}, {"version", version}});
  return done;
}

}  // namespace orders::projection

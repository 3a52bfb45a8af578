#include "webhooks/pg/webhook_migrations.hpp"

#include <set>

#include <orders/platform/log.hpp>

namespace orders::notifier::webhooks {
namespace {

// Advisory lock class of the notifier's migrations (the projection uses its own).
constexpr int kMigrationLock = 1852798068;

}  // namespace

std::vector<int> MigrateWebhookTables(pqxx::connection& connection, const std::string& schema) {
  pqxx::work tx(connection);
  tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kMigrationLock, schema);
  const std::string quoted = tx.quote_name(schema);
  tx.exec0("CREATE SCHEMA IF NOT EXISTS " + quoted);
  tx.exec0("SET LOCAL search_path TO " + quoted);
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int> applied;
  for (const auto& row : tx.exec("SELECT version FROM schema_migrations")) applied.insert(row[0].as<int>());
  std::vector<int> done;
  for (const auto& migration : EmbeddedWebhookMigrations()) {
    if (applied.count(migration.version)) continue;
    tx.exec(std::string(migration.sql));
    tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version,
                   std::string(migration.name));
    done.push_back(migration.version);
  }
  tx.commit();
  for (int version : done) platform::LogInfo("webhook migration applied", {{"schema", schema}, {"version", version}});
  return done;
}

}  // namespace orders::notifier::webhooks

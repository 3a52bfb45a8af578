#include "pg/schema_switch.hpp"

#include "pg/migrations.hpp"

namespace orders::projection {
namespace {

// Migrate() takes (kMigrationLock, hashtext(schema)) for its transaction.
constexpr int kMigrationLock = 1869768046;
constexpr int kRebuildLock = 1869768047;

}  // namespace

bool TryLockRebuild(pqxx::connection& connection, const std::string& live) {
  pqxx::nontransaction tx(connection);
  return tx.exec_params1("SELECT pg_try_advisory_lock($1, hashtext($2))", kRebuildLock, live)[0].as<bool>();
}

void CreateFreshSchema(pqxx::connection& connection, const std::string& schema) {
  {
    pqxx::work tx(connection);
    tx.exec0("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
    tx.commit();
  }
  Migrate(connection, schema);
}

SchemaSwitch::SchemaSwitch(const std::string& database_url, std::string live, std::string rebuilt,
                           const std::vector<std::string>& topics, std::chrono::milliseconds lock_timeout)
    : connection_(database_url), tx_(connection_), live_(std::move(live)), rebuilt_(std::move(rebuilt)) {
  tx_.exec0("SET LOCAL lock_timeout = '" + std::to_string(lock_timeout.count()) + "ms'");
  tx_.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kMigrationLock, live_);
  live_exists_ = !tx_.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", live_).empty();
  if (!live_exists_) return;
  std::string tables;
  for (const auto& row : tx_.exec_params("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename)"
                                         " FROM pg_tables WHERE schemaname = $1"
                                         " ORDER BY tablename <> 'read_model_generation',"
                                         " tablename <> 'consumer_offsets', tablename",
                                         live_)) {
    tables += (tables.empty() ? "" : ", ") + row[0].as<std::string>();
  }
  if (!tables.empty()) tx_.exec0("LOCK TABLE " + tables + " IN ACCESS EXCLUSIVE MODE");
  if (tx_.exec_params1("SELECT to_regclass($1) IS NOT NULL", tx_.quote_name(live_) + ".consumer_offsets")[0]
          .as<bool>()) {
    for (const auto& topic : topics) {
      auto& offsets = live_offsets_[topic];
      for (const auto& row : tx_.exec_params(
               "SELECT partition, next_offset FROM " + tx_.quote_name(live_) + ".consumer_offsets WHERE topic = $1",
               topic)) {
        offsets[row[0].as<std::int32_t>()] = row[1].as<std::int64_t>();
      }
    }
  }
}

void SchemaSwitch::Commit(const std::string& retired) {
  if (live_exists_) tx_.exec0("ALTER SCHEMA " + tx_.quote_name(live_) + " RENAME TO " + tx_.quote_name(retired));
  tx_.exec0("ALTER SCHEMA " + tx_.quote_name(rebuilt_) + " RENAME TO " + tx_.quote_name(live_));
  tx_.commit();
}

}  // namespace orders::projection

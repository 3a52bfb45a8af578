#pragma once
// Read-model migrations: the numbered files of schemas/sql/, embedded into the
// binary at build time (the service never reads them from disk). Migrate()
// creates the schema when missing and applies, in order, every migration not
// yet recorded in <schema>.schema_migrations, all in one transaction under a
// PostgreSQL advisory lock, so concurrent instances never race.

#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

namespace orders::projection {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Generated from schemas/sql/*.sql by CMake, ordered by version.
const std::vector<Migration>& EmbeddedMigrations();

// Returns the versions applied by this call. Throws on failure.
std::vector<int> Migrate(pqxx::connection& connection, const std::string& schema);

}  // namespace orders::projection

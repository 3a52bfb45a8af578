#pragma once
// The notifier's own migrations (notifier/sql/*.sql), embedded into the
// binary by CMake. MigrateWebhookTables creates the schema when missing and
// applies every migration not yet recorded in <schema>.schema_migrations, in
// one transaction under an advisory lock on the schema's name.

#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

namespace orders::notifier::webhooks {

struct WebhookMigration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<WebhookMigration>& EmbeddedWebhookMigrations();

// The versions applied by this call. Throws on failure.
std::vector<int> MigrateWebhookTables(pqxx::connection& connection, const std::string& schema);

}  // namespace orders::notifier::webhooks

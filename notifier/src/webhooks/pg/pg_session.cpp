#include "webhooks/pg/pg_session.hpp"

#include "webhooks/pg/webhook_migrations.hpp"

namespace orders::notifier::webhooks {

std::string WebhookConnectionString(const std::string& database_url, const std::string& schema) {
  // `schema` is validated by the settings ([a-z0-9_]), so it needs no escaping.
  const char separator = database_url.find('?') == std::string::npos ? '?' : '&';
  std::string result = database_url + separator + "options=-c%20search_path%3D" + schema;
  if (database_url.find("connect_timeout=") == std::string::npos) result += "&connect_timeout=3";
  return result;
}

PgSession::PgSession(std::string database_url, std::string schema)
    : database_url_(std::move(database_url)), schema_(std::move(schema)) {}

pqxx::connection& PgSession::Connection() {
  if (connection_ && connection_->is_open()) return *connection_;
  connection_.reset();
  auto connection = std::make_unique<pqxx::connection>(WebhookConnectionString(database_url_, schema_));
  MigrateWebhookTables(*connection, schema_);
  connection_ = std::move(connection);
  return *connection_;
}

}  // namespace orders::notifier::webhooks

#pragma once
// One lazily opened PostgreSQL connection of a webhook adapter, migrated
// when opened (webhook_migrations.hpp), used by one caller at a time.

#include <memory>
#include <mutex>
#include <string>

#include <pqxx/pqxx>

namespace orders::notifier::webhooks {

// database_url with the schema as search_path (kept across libpqxx's silent
// reconnects, unlike a session SET) and a connect timeout.
std::string WebhookConnectionString(const std::string& database_url, const std::string& schema);

class PgSession {
 public:
  PgSession(std::string database_url, std::string schema);

  // Runs `work` on the connection, under the session's lock. A throw that
  // left the connection broken drops it, so the next call reconnects.
  template <typename Work>
  auto Run(Work&& work) {
    std::lock_guard lock(mutex_);
    try {
      return work(Connection());
    } catch (...) {
      if (connection_ && !connection_->is_open()) connection_.reset();
      throw;
    }
  }

  const std::string& schema() const { return schema_; }

 private:
  pqxx::connection& Connection();

  std::string database_url_;
  std::string schema_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace orders::notifier::webhooks

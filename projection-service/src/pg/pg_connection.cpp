#include "pg/pg_connection.hpp"

namespace orders::projection {

std::string ReadModelConnectionString(const std::string& database_url, const std::string& schema) {
  // `schema` is validated by the config loader ([a-z0-9_]), so it needs no escaping.
  const char separator = database_url.find('?') == std::string::npos ? '?' : '&';
  std::string result = database_url + separator + "options=-c%20search_path%3D" + schema;
  if (database_url.find("connect_timeout=") == std::string::npos) result += "&connect_timeout=3";
  return result;
}

pqxx::connection& PerThreadConnections::Get() {
  const auto id = std::this_thread::get_id();
  {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(id);
    if (it != connections_.end() && it->second && it->second->is_open()) return *it->second;
  }
  auto connection = std::make_unique<pqxx::connection>(connection_string_);
  std::lock_guard lock(mutex_);
  auto& slot = connections_[id];
  slot = std::move(connection);
  return *slot;
}

void PerThreadConnections::Reset() {
  std::unique_ptr<pqxx::connection> dropped;
  {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(std::this_thread::get_id());
    if (it == connections_.end()) return;
    dropped = std::move(it->second);
    connections_.erase(it);
  }
}

}  // namespace orders::projection

#pragma once
// PostgreSQL connections of the projection. Every connection string carries
// `options=-c search_path=<schema>` so the read model's schema survives
// libpqxx's silent reconnects (a session SET would be lost), and a connect
// timeout so an outage gives errors, not hangs.
//
// PerThreadConnections hands each thread its own connection (libpqxx
// connections must not be shared); Reset() drops the calling thread's one
// after an error so the next Get() connects afresh.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <pqxx/pqxx>

namespace orders::projection {

std::string ReadModelConnectionString(const std::string& database_url, const std::string& schema);

class PerThreadConnections {
 public:
  explicit PerThreadConnections(std::string connection_string) : connection_string_(std::move(connection_string)) {}

  // Throws pqxx::broken_connection when the server is unreachable.
  pqxx::connection& Get();
  void Reset();

 private:
  std::string connection_string_;
  std::mutex mutex_;
  std::map<std::thread::id, std::unique_ptr<pqxx::connection>> connections_;
};

}  // namespace orders::projection

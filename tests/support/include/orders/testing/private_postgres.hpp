#pragma once
// A throw-away PostgreSQL cluster for tests that stop, crash or restart the
// database: the shared one of the local stack is never touched.
//
// Create() runs initdb into a fresh temporary directory, picks a free loopback
// port, starts the server and creates the role and database of the options
// (no fsync: a killed *process* loses nothing). As on the local stack, the role
// is not a superuser and logs in over TCP with a password (in Url()); the
// superuser `postgres` connects only through the socket in directory(). When the
// test runs as root the server runs as the `postgres` OS user, because
// PostgreSQL refuses root (as infra/lib/common.sh does it).
//
// Stop(), Kill() and Start() keep the port and the data directory, so clients
// reconnect to the same Url() once it is back. The destructor kills whatever
// is still running and removes the directory.
//
// Not thread-safe: one test thread drives it.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace orders::testing {

struct PrivatePostgresOptions {
  std::string bin_dir = "/usr/lib/postgresql/15/bin";  // $ORDERS_PG_BIN overrides it
  std::string role = "orders";                         // an ordinary role, owner of the database
  std::string database = "orders";                     // created after the first start
  std::vector<std::string> settings;                   // extra postgresql.conf lines
};

class PrivatePostgres {
 public:
  // The running cluster, or nullptr with `error` saying why.
  static std::unique_ptr<PrivatePostgres> Create(std::string& error, PrivatePostgresOptions options = {});
  ~PrivatePostgres();

  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // postgresql://<role>:<password>@127.0.0.1:<port>/<database>
  std::string Url() const;
  std::uint16_t port() const { return port_; }
  const std::string& directory() const { return directory_; }

  // pg_ctl start, waits until connections are accepted (after crash recovery
  // when the last stop was Kill()).
  bool Start(std::string& error);
  // pg_ctl stop -m fast: sessions are disconnected, the server shuts down cleanly.
  bool Stop(std::string& error);
  // A crash: SIGKILL to the postmaster and every server process at once, no
  // shutdown checkpoint. Returns when they are all gone.
  void Kill();
  bool Running() const;

  // The server's log, for failure messages.
  std::string LogText() const;

 private:
  PrivatePostgres(PrivatePostgresOptions options, std::string directory);

  bool Initialize(std::string& error);
  bool CreateDatabase(std::string& error);
  pid_t PostmasterPid() const;
  // Runs a PostgreSQL program (as `postgres` when we are root); output to `log`.
  int RunTool(const std::string& program, const std::vector<std::string>& arguments, const std::string& log) const;

  PrivatePostgresOptions options_;
  std::string directory_;  // holds data/, the socket and the logs
  std::string password_;   // the role's, random per cluster
  std::uint16_t port_ = 0;
  bool run_as_postgres_ = false;
};

}  // namespace orders::testing

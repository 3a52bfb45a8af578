#pragma once
// The PostgreSQL side of `projection-service rebuild` (rebuild.hpp).
//
// SchemaSwitch is the switch at the end of a rebuild, ONE transaction on its
// own connection:
//  1. the migrations' advisory lock of the live schema, so a service starting
//     meanwhile cannot create or migrate it half-way through the switch;
//  2. every table of the live schema locked ACCESS EXCLUSIVE, the fence
//     tables (read_model_generation, consumer_offsets) first: transactions
//     that already read or write them finish first, later ones wait.
//     `lock_timeout` bounds each wait and is below PostgreSQL's
//     deadlock_timeout (1 s), so when a reader holding one table waits for
//     another, the switch gives up first and no query fails;
//  3. the live schema's stored offsets of every replayed topic: the catch-up target. The caller applies
//     the rebuilt schema up to them while the locks are held (the live tables
//     are frozen), so readers never see the read model go back;
//  4. Commit(): rename live -> retired and rebuilt -> live, commit.
// A statement resolves table names when it starts (search_path or a qualified
// name), waiting for the locks and re-resolving if they were renamed
// meanwhile: a query before the commit reads the old tables in full, one after
// it the new ones in full. Nothing keeps a plan across the rename: the
// queries are unnamed statements, and the projection's batch statements,
// prepared once per session (batch_statements.hpp), are parsed again by
// PostgreSQL after any schema is renamed (a pg_namespace change invalidates
// every cached plan), also when the statement was waiting for the switch's
// locks (PgReadModelStoreTest). Destroying a SchemaSwitch without Commit()
// rolls it all back.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <orders/projection/offset_fence.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

// One rebuild of `live` at a time: a session advisory lock on `connection`,
// held until it closes. False when another rebuild holds it.
bool TryLockRebuild(pqxx::connection& connection, const std::string& live);

// Drops `schema` if it exists (a rebuild that did not finish) and creates it
// afresh with every migration.
void CreateFreshSchema(pqxx::connection& connection, const std::string& schema);

class SchemaSwitch {
 public:
  // Opens the transaction and takes the locks. Throws pqxx::sql_error;
  // SQLSTATE 55P03 (lock_not_available) when the live tables stayed busy.
  SchemaSwitch(const std::string& database_url, std::string live, std::string rebuilt,
               const std::vector<std::string>& topics, std::chrono::milliseconds lock_timeout);

  bool live_exists() const { return live_exists_; }
  // The live schema's stored offsets of `topic` (one of those given; empty when none are stored).
  const StoredOffsets& live_offsets(const std::string& topic) const { return live_offsets_[topic]; }

  void Commit(const std::string& retired);

 private:
  pqxx::connection connection_;
  pqxx::work tx_;
  std::string live_;
  std::string rebuilt_;
  bool live_exists_ = false;
  mutable std::map<std::string, StoredOffsets> live_offsets_;  // by topic
};

}  // namespace orders::projection

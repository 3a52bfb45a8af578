#include "pg/pg_read_model_store.hpp"

#include <orders/platform/log.hpp>

#include "pg/batch_statements.hpp"
#include "pg/stock_statements.hpp"

namespace orders::projection {

PgReadModelStore::PgReadModelStore(std::string connection_string) : connection_string_(std::move(connection_string)) {}

pqxx::connection& PgReadModelStore::Connection() {
  if (!connection_ || !connection_->is_open()) {
    connection_ = std::make_unique<pqxx::connection>(connection_string_);
    PrepareStatements(*connection_);
  }
  return *connection_;
}

// A failed statement or a commit in doubt may have changed stored orders
// behind what this store remembers of them.
void PgReadModelStore::Reset() {
  connection_.reset();
  known_.Clear();
}

platform::Result<StorePosition> PgReadModelStore::LoadPosition(const std::string& topic,
                                                               const std::vector<platform::Partition>& partitions) {
  try {
    pqxx::work tx(Connection());
    auto position = ReadStorePosition(tx, topic, partitions, false);
    tx.commit();
    return position;
  } catch (const std::exception& e) {
    Reset();
    return platform::Fail(e.what());
  }
}

ApplyOutcome PgReadModelStore::Apply(const DecodedBatch& batch, const Fence& fence, WriteMode mode) {
  ApplyOutcome outcome;
  try {
    outcome = ApplyInTransaction(batch, fence, mode);
  } catch (const pqxx::unique_violation& e) {
    known_.Clear();
    outcome.kind = mode == WriteMode::kFast ? ApplyOutcome::Kind::kRowsExist : ApplyOutcome::Kind::kFailed;
    outcome.error = e.what();
  } catch (const pqxx::in_doubt_error& e) {
    outcome.kind = ApplyOutcome::Kind::kInDoubt;
    outcome.error = e.what();
  } catch (const std::exception& e) {
    outcome.kind = ApplyOutcome::Kind::kFailed;
    outcome.error = e.what();
  }
  if (outcome.kind != ApplyOutcome::Kind::kApplied && outcome.kind != ApplyOutcome::Kind::kRowsExist) Reset();
  return outcome;
}

ApplyOutcome PgReadModelStore::ApplyInTransaction(const DecodedBatch& batch, const Fence& fence, WriteMode mode) {
  pqxx::work tx(Connection());
  const WritePath path = ChooseWritePath(batch.Size(), mode);
  PrepareBatch(tx, path);
  std::vector<platform::Partition> partitions;
  for (const auto& [partition, offset] : fence.expected) partitions.push_back(partition);
  ApplyOutcome outcome;
  outcome.stored = ReadStorePosition(tx, batch.topic, partitions, true);
  if (!FenceHolds(fence, outcome.stored)) {
    outcome.kind = ApplyOutcome::Kind::kStoreMoved;
    return outcome;  // rolled back by ~work
  }
  if (mode == WriteMode::kTolerant) known_.Clear();
  std::map<std::string, domain::Order> stored_orders;
  const auto to_load = known_.Split(batch, mode == WriteMode::kFast, stored_orders);
  stored_orders.merge(LoadFoldState(tx, to_load));
  const auto stored_stock = LoadStockState(tx, StockKeysOf(batch.stock_events));
  outcome.writes = FoldBatch(batch, stored_orders, stored_stock);
  OrderFacts facts = known_.Facts(batch);
  WriteBatch(tx, outcome.writes, mode, path, facts);
  tx.commit();
  known_.Remember(outcome.writes, FactsAfter(outcome.writes, facts));
  outcome.kind = ApplyOutcome::Kind::kApplied;
  return outcome;
}

}  // namespace orders::projection

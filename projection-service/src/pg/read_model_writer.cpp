#include <orders/projection/read_model_writer.hpp>

#include <orders/platform/log.hpp>
#include <orders/projection/batch_statements.hpp>

namespace orders::projection {

ReadModelWriter::ReadModelWriter(std::string connection_string) : connection_string_(std::move(connection_string)) {}

pqxx::connection& ReadModelWriter::Connection() {
  if (!connection_ || !connection_->is_open()) {
    connection_ = std::make_unique<pqxx::connection>(connection_string_);
    PrepareStatements(*connection_);
  }
  return *connection_;
}

StorePosition ReadModelWriter::LoadPosition(const std::string& topic, const std::vector<std::int32_t>& partitions) {
  pqxx::work tx(Connection());
  auto position = ReadStorePosition(tx, topic, partitions, false);
  tx.commit();
  return position;
}

ApplyResult ReadModelWriter::Apply(const DecodedBatch& batch, const std::string& generation,
                                   const ExpectedOffsets& expected) {
  ApplyResult result;
  try {
    result = Apply(batch, generation, expected, WriteMode::kFast);
  } catch (const pqxx::unique_violation& e) {
    known_.Clear();
    platform::LogWarn(
        "rows of the batch exist already (a placement repeated in the log, or an edited read model);"
        " writing the batch again, every order loaded and existing rows skipped",
        {{"error", e.what()}});
    result = Apply(batch, generation, expected, WriteMode::kTolerant);
  }
  // The store moved: a rebuild's switch may have renamed away the schema the
  // prepared statement was planned against, so the next batch starts afresh.
  if (!result.applied) Reset();
  return result;
}

ApplyResult ReadModelWriter::Apply(const DecodedBatch& batch, const std::string& generation,
                                   const ExpectedOffsets& expected, WriteMode mode) {
  pqxx::work tx(Connection());
  const WritePath path = ChooseWritePath(batch.Size(), mode);
  PrepareBatch(tx, path);
  std::vector<std::int32_t> partitions;
  for (const auto& [partition, offset] : expected) partitions.push_back(partition);
  ApplyResult result;
  result.stored = ReadStorePosition(tx, batch.topic, partitions, true);
  if (!FenceHolds(generation, expected, result.stored)) return result;  // rolled back by ~work; the caller resets
  if (mode == WriteMode::kTolerant) known_.Clear();
  std::map<std::string, domain::Order> stored_orders;
  const auto to_load = known_.Split(batch, mode == WriteMode::kFast, stored_orders);
  stored_orders.merge(LoadFoldState(tx, to_load));
  result.writes = FoldBatch(batch, stored_orders);
  WriteBatch(tx, result.writes, mode, path);
  tx.commit();
  known_.Remember(result.writes);
  result.applied = true;
  return result;
}

}  // namespace orders::projection

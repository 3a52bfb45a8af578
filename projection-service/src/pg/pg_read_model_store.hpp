#pragma once
// The read model in PostgreSQL (the ReadModelStore port, read_model_store.hpp).
// Apply() is ONE transaction: the fence (the generation, then row locks on the
// stored offsets of the batch's partitions), the stored state of the batch's
// orders, the fold, the writes and the new offsets; the statements are in
// batch_statements.hpp, whole batches at once, never one statement per event.
//
// The stored state of an order comes from what this store committed itself
// (KnownOrders; valid because the fence just proved the store has not moved
// since) or is loaded; in kFast mode a placement is taken as a new order.
//
// Owns its connection, opened on first use (every batch statement prepared on
// it then, PrepareStatements) and dropped after any failure, an unknown commit
// outcome, or a moved store (a rebuild's switch may have renamed away the
// schema the statements were prepared against).

#include <memory>
#include <string>
#include <vector>

#include <orders/projection/known_orders.hpp>
#include <orders/projection/read_model_store.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

class PgReadModelStore final : public ReadModelStore {
 public:
  explicit PgReadModelStore(std::string connection_string);

  platform::Result<StorePosition> LoadPosition(const std::string& topic,
                                               const std::vector<platform::Partition>& partitions) override;
  ApplyOutcome Apply(const DecodedBatch& batch, const Fence& fence, WriteMode mode) override;
  void ForgetKnownOrders() override { known_.Clear(); }

 private:
  // Throws pqxx errors; the public Apply maps them to outcomes.
  ApplyOutcome ApplyInTransaction(const DecodedBatch& batch, const Fence& fence, WriteMode mode);
  pqxx::connection& Connection();
  void Reset();

  std::string connection_string_;
  std::unique_ptr<pqxx::connection> connection_;
  KnownOrders known_;
};

}  // namespace orders::projection

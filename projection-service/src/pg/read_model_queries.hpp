#pragma once
// The read side in PostgreSQL (the ReadModelReader port): each query a short
// read-only transaction on the calling thread's own connection. A database
// error is logged, drops that connection (the next query reconnects) and comes
// back as an Error. Tables are named through search_path: after a rebuild's
// switch (schema_switch.hpp) the next transaction reads the new tables. Each
// transaction first locks read_model_generation (ACCESS SHARE), the table the
// switch locks first, before its snapshot is taken: it reads either the old
// tables in full or the new ones in full, and never deadlocks with the switch.

#include <orders/projection/read_model_reader.hpp>

#include "pg/pg_connection.hpp"

namespace orders::projection {

class ReadModelQueries final : public ReadModelReader {
 public:
  explicit ReadModelQueries(std::string connection_string) : connections_(std::move(connection_string)) {}

  platform::Result<void> Ping() override;
  platform::Result<std::optional<OrderView>> FindOrder(const std::string& order_id) override;
  platform::Result<OrderPage> ListOrders(const ListQuery& query) override;
  platform::Result<OrderPage> OpenDeliveries(const OpenDeliveriesQuery& query) override;
  platform::Result<std::map<domain::Status, std::int64_t>> StatusCounts() override;
  platform::Result<std::vector<DailyRow>> Daily(const DailyQuery& query) override;
  platform::Result<std::vector<CourierReportRow>> Couriers(const DailyQuery& query) override;
  platform::Result<InventoryPage> ListInventory(const InventoryQuery& query) override;
  platform::Result<ProductReport> Products(const ProductsQuery& query) override;
  platform::Result<FunnelReport> Funnel(const DailyQuery& query) override;

 private:
  // Runs `query`, mapping a database error to an Error.
  template <typename Query>
  auto Guarded(Query&& query) -> platform::Result<decltype(query())>;

  std::optional<OrderView> FindOrderOrThrow(const std::string& order_id);
  OrderPage ListOrdersOrThrow(const ListQuery& query);
  OrderPage OpenDeliveriesOrThrow(const OpenDeliveriesQuery& query);
  std::map<domain::Status, std::int64_t> StatusCountsOrThrow();
  std::vector<DailyRow> DailyOrThrow(const DailyQuery& query);
  std::vector<CourierReportRow> CouriersOrThrow(const DailyQuery& query);
  InventoryPage ListInventoryOrThrow(const InventoryQuery& query);
  ProductReport ProductsOrThrow(const ProductsQuery& query);
  FunnelReport FunnelOrThrow(const DailyQuery& query);

  PerThreadConnections connections_;
};

}  // namespace orders::projection

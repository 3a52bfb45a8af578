// `projection-service rebuild` replays the topic into fresh tables while the
// live ones keep serving and events keep arriving, then switches readers over.
// Queries go on the whole time: none may fail, and none may see the read model
// go back (a partial model, such as the fresh tables half-way through the
// replay, would show fewer orders or lower versions). After the switch the
// running service keeps projecting into the new tables, which equal the fold.
#include <regex>

#include <nlohmann/json.hpp>

#include "projection_fixture.hpp"
#include "run_command.hpp"

namespace orders::testing {
namespace {

// Reads watched orders (none: only the counts) and the status counts over
// and over, and remembers every failure and every step back.
class QueryWatcher {
 public:
  QueryWatcher(std::uint16_t port, std::vector<std::string> orders) : port_(port), orders_(std::move(orders)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~QueryWatcher() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int queries() const { return queries_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void Loop() {
    std::map<std::string, std::int64_t> versions;
    std::int64_t total = 0;
    while (!stop_) {
      for (const auto& id : orders_) {
        const auto response = HttpRequest(port_, "GET", "/orders/" + id, {}, WithToken(), std::chrono::seconds(10));
        ++queries_;
        if (response.status != 200) {
          problems_.push_back("GET /orders/" + id + " answered " + std::to_string(response.status));
          continue;
        }
        const auto version = nlohmann::json::parse(response.body).at("version").get<std::int64_t>();
        if (version < versions[id]) problems_.push_back(id + " went back to version " + std::to_string(version));
        versions[id] = version;
      }
      const auto counts =
          HttpRequest(port_, "GET", "/reports/status-counts", {}, WithToken(), std::chrono::seconds(10));
      ++queries_;
      if (counts.status != 200) {
        problems_.push_back("status counts answered " + std::to_string(counts.status));
        continue;
      }
      const auto now = nlohmann::json::parse(counts.body).at("total").get<std::int64_t>();
      if (now < total)
        problems_.push_back("orders in total went back from " + std::to_string(total) + " to " + std::to_string(now));
      total = now;
    }
  }

  std::uint16_t port_;
  std::vector<std::string> orders_;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::vector<std::string> problems_;  // read after Stop()
  std::thread thread_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

class RebuildTest : public ProjectionTest {
 protected:
  void TearDown() override {
    ProjectionTest::TearDown();
    try {
      auto connection = Connect();
      pqxx::work tx(connection);
      for (const auto& row :
           tx.exec_params("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", schema_ + "__")) {
        tx.exec0("DROP SCHEMA " + tx.quote_name(row[0].as<std::string>()) + " CASCADE");
      }
      tx.commit();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop the rebuild's schemas: " << e.what();
    }
  }

  std::string Generation() {
    auto connection = Connect();
    pqxx::work tx(connection);
    return tx.exec1("SELECT generation::text FROM " + Table("read_model_generation"))[0].as<std::string>();
  }

  std::vector<std::string> RetiredSchemas() {
    auto connection = Connect();
    pqxx::work tx(connection);
    std::vector<std::string> names;
    for (const auto& row :
         tx.exec_params("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", schema_ + "__retired_")) {
      names.push_back(row[0].as<std::string>());
    }
    return names;
  }
};

TEST_F(RebuildTest, RebuildSwitchesReadersToAnEqualModelWhileQueriesAndEventsGoOn) {
  for (const auto& event : RandomEvents(3000, 21)) Produce(event);
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  const auto generation_before = Generation();
  std::vector<std::string> watched;
  for (const auto& [id, order] : expected_.orders) {
    if (watched.size() < 10) watched.push_back(id);
  }

  // Two readers at once, so that queries are in flight when the switch
  // happens; the second only counts, as often as it can.
  QueryWatcher watcher(service_->port(), watched);
  QueryWatcher other_watcher(service_->port(), {});
  StartLoad();
  const auto result = RunCommand(ProjectionServiceBinary(), {"rebuild"}, Environment(), std::chrono::seconds(60));
  const int queries_at_switch = watcher.queries() + other_watcher.queries();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::size_t progress_lines = 0;
  const std::regex progress(R"(rebuild: [0-9.]+% [0-9,]+ of [0-9,]+ records applied)");
  for (auto it = std::sregex_iterator(result.output.begin(), result.output.end(), progress);
       it != std::sregex_iterator(); ++it) {
    ++progress_lines;
  }
  EXPECT_GE(progress_lines, 1u) << result.output;
  EXPECT_NE(result.output.find("rebuild: switched in"), std::string::npos) << result.output;

  // The running service follows the switch and keeps projecting into the new tables.
  const auto stored_after_switch = StoredOffsetsTotal();
  ASSERT_TRUE(Eventually([&] { return StoredOffsetsTotal() > stored_after_switch; }, std::chrono::seconds(30)))
      << service_->LogText();
  StopLoad();
  WaitUntilCaughtUp();
  watcher.Stop();
  other_watcher.Stop();

  for (const auto& line : Lines(result.output)) {
    if (line.rfind("rebuild", 0) == 0) std::printf("%s\n", line.c_str());
  }
  const int queries = watcher.queries() + other_watcher.queries();
  std::printf("%d queries answered during the rebuild, %d in all\n", queries_at_switch, queries);
  for (const auto* reader : {&watcher, &other_watcher}) {
    EXPECT_TRUE(reader->problems().empty())
        << reader->problems().size() << " problems, first: " << reader->problems().front();
  }
  EXPECT_GT(queries_at_switch, 0);
  EXPECT_GT(queries, queries_at_switch);
  ExpectReadModelEqualsFold();
  ExpectSummariesEqualTheStoredHistory();
  ExpectHistoryEqualsFold();
  ExpectStoredOffsetsAtTopicEnd();
  EXPECT_EQ(Count("poison_events"), 0);
  // The rebuilt tables hold the courier side too (the comparisons above cover
  // couriers, declines and history events only if the log has them).
  EXPECT_GT(Count("order_declines"), 0);
  {
    auto connection = Connect();
    pqxx::work tx(connection);
    EXPECT_GT(tx.exec1("SELECT count(*) FROM " + Table("orders") + " WHERE courier_id IS NOT NULL")[0].as<int>(), 0);
    EXPECT_GT(tx.exec1("SELECT count(*) FROM " + Table("order_history") +
                       " WHERE event = 'order.courier_unassigned' AND courier_id IS NOT NULL")[0]
                  .as<int>(),
              0);
  }
  EXPECT_NE(Generation(), generation_before);
  EXPECT_EQ(RetiredSchemas().size(), 1u);
  const auto metrics = Get("/metrics").body;
  EXPECT_GE(MetricValue(metrics, "projection_repositions_total"), 1) << "the service never noticed the switch:\n"
                                                                     << metrics;
}

// The rebuild replays the inventory topic too: with the service stopped, the switched-in tables hold
// every tracked product's level and the inventory topic's offsets, and the service reads on from them.
TEST_F(RebuildTest, RebuildFillsTheInventoryTablesAndTheirOffsets) {
  const std::int64_t base = 1764000000000;
  const auto at = [&](std::int64_t step) { return domain::Timestamp{std::chrono::milliseconds(base + step)}; };
  std::vector<std::string> orders;
  for (int i = 0; i < 4; ++i) orders.push_back(platform::NewUuid());
  for (int product = 0; product < 20; ++product) {
    const std::string id = "sku-" + std::to_string(product);
    ProduceStock(domain::StockSet{id, 1, at(1), 10 + product});
    ProduceStock(domain::StockReserved{id, 2, at(2), orders[0], 3});
    ProduceStock(domain::StockReserved{id, 3, at(3), orders[1], 2});
    ProduceStock(domain::StockReleased{id, 4, at(4), orders[0], 3});
    if (product % 2 == 0) ProduceStock(domain::StockCommitted{id, 5, at(5), orders[1], 2});
  }
  for (const auto& event : RandomEvents(50, 7)) Produce(event);
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  const auto levels = [&] {
    auto connection = Connect();
    pqxx::work tx(connection);
    std::vector<std::string> rows;
    for (const auto& row : tx.exec("SELECT product_id || ':' || on_hand || '/' || reserved || '/' || available ||"
                                   " '/' || version FROM " +
                                   Table("inventory") + " ORDER BY product_id")) {
      rows.push_back(row[0].as<std::string>());
    }
    return rows;
  };
  ASSERT_TRUE(Eventually([&] { return levels().size() == 20; }, std::chrono::seconds(15)));
  const auto before = levels();
  EXPECT_EQ(before.front(), "sku-0:8/0/8/5");
  ASSERT_EQ(service_->Stop(), 0);  // so that only the rebuild can fill the new tables

  const auto result = RunCommand(ProjectionServiceBinary(), {"rebuild"}, Environment(), std::chrono::seconds(60));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(inventory_topic_), std::string::npos) << result.output;
  EXPECT_EQ(levels(), before);
  EXPECT_EQ(Count("inventory_reservations"), 40);
  auto connection = Connect();
  pqxx::work tx(connection);
  EXPECT_EQ(tx.exec1("SELECT coalesce(sum(next_offset), 0) FROM " + Table("consumer_offsets") +
                     " WHERE topic = " + tx.quote(inventory_topic_))[0]
                .as<std::int64_t>(),
            stock_produced_);
  tx.commit();

  ProduceStock(domain::StockSet{"sku-0", 6, at(6), 1});
  Flush();
  ASSERT_TRUE(service_->Start()) << service_->LogText();
  WaitReady();
  const auto first_level = [&] {
    const auto rows = levels();
    return rows.empty() ? std::string("(no products)") : rows.front();
  };
  ASSERT_TRUE(Eventually([&] { return first_level() == "sku-0:1/0/1/6"; }, std::chrono::seconds(15)))
      << first_level() << "\n"
      << service_->LogText();
  EXPECT_EQ(Count("poison_events"), 0);
}

}  // namespace
}  // namespace orders::testing

#pragma once
// A real projection-service process on its own topics (orders and inventory, 6 partitions each) of the
// real broker and its own READ_MODEL_SCHEMA in the real PostgreSQL; the schema
// is dropped at the end. Events are produced with the codec; the expected read
// model is computed with domain::Apply.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>
#include <orders/codec/event_codec.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/invariants/sources.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/partition_offsets.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <pqxx/pqxx>

#include "pg/pg_connection.hpp"
#include "pg/summary_statements.hpp"

namespace orders::testing {

using domain::Status;

// The expected state: orders folded with domain::Apply, and each order's events.
struct Fold {
  std::map<std::string, domain::Order> orders;
  std::map<std::string, std::vector<domain::Event>> events;

  void Add(const domain::Event& event) {
    std::optional<domain::Order> state;
    const auto& id = domain::OrderIdOf(event);
    if (auto it = orders.find(id); it != orders.end()) state = it->second;
    if (domain::Apply(state, event) == domain::ApplyOutcome::kApplied) {
      orders[id] = *state;
      events[id].push_back(event);
    }
  }
};

// The value of one series in a Prometheus text page; -1 when absent.
inline double MetricValue(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class ProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    topic_ = UniqueName("proj");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    inventory_topic_ = UniqueName("proj-inventory");
    ASSERT_EQ(CreateTopic(inventory_topic_, 6), "");
    schema_ = UniqueName("proj");
    std::replace(schema_.begin(), schema_.end(), '-', '_');
    group_ = UniqueName("proj-group");
    auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "projection-test", "", {}});
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
  }

  void TearDown() override {
    StopLoad();
    if (service_) service_->Stop();
    try {
      pqxx::connection connection(database_url_);
      pqxx::work tx(connection);
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
      tx.commit();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop schema " << schema_ << ": " << e.what();
    }
  }

  std::map<std::string, std::string> Environment() const {
    std::map<std::string, std::string> env = {{"KAFKA_BROKERS", KafkaBrokers()},
                                              {"DATABASE_URL", database_url_},
                                              {"ORDERS_TOPIC", topic_},
                                              {"INVENTORY_TOPIC", inventory_topic_},
                                              {"READ_MODEL_SCHEMA", schema_},
                                              {"CONSUMER_GROUP", group_},
                                              {"LOG_LEVEL", "info"}};
    for (const auto& [name, value] : extra_env_) env[name] = value;
    return env;
  }

  void StartService() {
    service_ = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), Environment());
    ASSERT_TRUE(service_->Start()) << service_->LogText();
  }

  void WaitReady() {
    ASSERT_TRUE(Eventually([&] { return Get("/readyz").status == 200; }, std::chrono::seconds(30)))
        << service_->LogText();
  }

  // Carries a service token unless send_token_ is off.
  HttpResponse Get(const std::string& path, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return HttpRequest(service_->port(), "GET", path, {}, send_token_ ? WithToken() : HttpHeaders{}, timeout);
  }

  // The metrics page once `ready(page)` holds (or after 5 s, for the caller's assertions to report). The
  // service counts a batch just after its commit, so a test that saw the commit in the database may read
  // the page a moment before the batch is counted.
  std::string MetricsWhen(const std::function<bool(const std::string&)>& ready) {
    std::string page;
    Eventually(
        [&] {
          page = Get("/metrics").body;
          return ready(page);
        },
        std::chrono::seconds(5));
    return page;
  }

  // Produces records and waits for every acknowledgement; returns how many.
  void ProduceRaw(const std::string& key, const std::string& value, const codec::Headers& headers) {
    auto queued = producer_->Produce(topic_, key, value, headers, [this](const platform::DeliveryReport& report) {
      if (report.outcome != platform::DeliveryReport::Outcome::kPersisted) ++failed_;
    });
    ASSERT_TRUE(queued) << queued.error().message;
    ++produced_;
  }

  void Produce(const domain::Event& event) {
    const auto record =
        codec::EncodeEvent(event, {platform::NewUuid(), "/projection-test", std::nullopt, std::nullopt});
    ProduceRaw(record.key, record.value, record.headers);
    expected_.Add(event);
  }

  // An inventory event to the test's inventory topic (not counted in produced_, which is the orders topic's).
  void ProduceStock(const domain::StockEvent& event) {
    const auto record =
        codec::EncodeEvent(event, {platform::NewUuid(), "/projection-test", std::nullopt, std::nullopt});
    ProduceStockRaw(record.key, record.value, record.headers);
  }
  void ProduceStockRaw(const std::string& key, const std::string& value, const codec::Headers& headers) {
    auto queued =
        producer_->Produce(inventory_topic_, key, value, headers, [this](const platform::DeliveryReport& report) {
          if (report.outcome != platform::DeliveryReport::Outcome::kPersisted) ++failed_;
        });
    ASSERT_TRUE(queued) << queued.error().message;
    ++stock_produced_;
  }

  void Flush() {
    ASSERT_TRUE(producer_->Flush(30000));
    ASSERT_EQ(failed_.load(), 0);
  }

  // Random orders, each with a random valid walk through the lifecycle, with
  // the courier events mixed in: while an order is open for delivery a
  // courier (of three) may decline it (the same one again, too) or take it,
  // and before it is out for delivery the courier may release it.
  std::vector<domain::Event> RandomEvents(int orders, unsigned seed, std::int64_t base_ms = 1764000000000) {
    std::mt19937 random(seed);
    std::vector<std::vector<domain::Event>> per_order;
    for (int i = 0; i < orders; ++i) {
      const std::string id = platform::NewUuid();
      const auto at = [&](std::int64_t step) {
        return domain::Timestamp{std::chrono::milliseconds(base_ms + i * 1000 + step)};
      };
      std::vector<domain::Event> events;
      domain::OrderPlaced placed{
          id,    1, at(0), "customer-" + std::to_string(i % 7), {{"sku-" + std::to_string(i), 1 + i % 3, 100 + i}},
          "USD", 0};
      placed.total_cents = domain::TotalCents(placed.items);
      events.push_back(placed);
      Status status = Status::kPending;
      std::int64_t version = 1;
      std::string courier;
      while (!domain::IsTerminal(status) && random() % 4 != 0) {
        const bool open = (status == Status::kConfirmed || status == Status::kProcessing) && courier.empty();
        const bool releasable = !courier.empty() && (status == Status::kConfirmed || status == Status::kProcessing ||
                                                     status == Status::kShipped);
        const auto roll = random() % 6;
        const std::string someone = "courier-" + std::to_string(random() % 3);
        if (open && roll == 0) {
          ++version;
          events.push_back(domain::DeliveryDeclined{
              id, version, at(version), someone, random() % 2 ? std::optional<std::string>("too far") : std::nullopt});
          continue;
        }
        if (open && roll == 1) {
          ++version;
          courier = someone;
          events.push_back(domain::CourierAssigned{id, version, at(version), courier, domain::AssignedBy::kCourier});
          continue;
        }
        if (releasable && roll == 2) {
          ++version;
          events.push_back(domain::CourierUnassigned{id, version, at(version), courier, std::nullopt});
          courier.clear();
          continue;
        }
        std::vector<Status> next;
        for (auto candidate : domain::kAllStatuses) {
          if (domain::IsTransitionAllowed(status, candidate)) next.push_back(candidate);
        }
        const Status to = next[random() % next.size()];
        ++version;
        domain::StatusChanged changed{id, version, at(version), status, to, std::nullopt};
        if (to == Status::kCancelled) changed.reason = "changed \"mind\" \\ é";
        events.push_back(changed);
        status = to;
      }
      per_order.push_back(std::move(events));
    }
    // Interleave orders while keeping each order's events in order.
    std::vector<domain::Event> all;
    std::vector<std::size_t> next(per_order.size(), 0);
    std::size_t remaining = 0;
    for (const auto& events : per_order) remaining += events.size();
    while (remaining > 0) {
      const std::size_t pick = random() % per_order.size();
      if (next[pick] < per_order[pick].size()) {
        all.push_back(per_order[pick][next[pick]++]);
        --remaining;
      }
    }
    return all;
  }

  // About 2,000 events/s in the background: chunks of 40 new orders, each a
  // random valid walk through the lifecycle, interleaved, every 50 ms. Only
  // the load thread touches produced_ and expected_ until StopLoad().
  void StartLoad() {
    stop_load_ = false;
    load_ = std::thread([this] {
      for (unsigned chunk = 0; !stop_load_; ++chunk) {
        for (const auto& event : RandomEvents(40, 1000 + chunk, 1764000000000 + chunk * 1000000LL)) {
          Produce(event);
          ++load_produced_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }

  // Stops the producer and waits until every record it produced is acknowledged.
  void StopLoad() {
    if (!load_.joinable()) return;
    stop_load_ = true;
    load_.join();
    Flush();
  }

  pqxx::connection Connect() { return pqxx::connection(database_url_); }

  std::string Table(const std::string& name) { return "\"" + schema_ + "\"." + name; }

  std::int64_t StoredOffsetsTotal() {
    try {
      auto connection = Connect();
      pqxx::work tx(connection);
      auto row = tx.exec1("SELECT coalesce(sum(next_offset), 0) FROM " + Table("consumer_offsets") +
                          " WHERE topic = " + tx.quote(topic_));
      return row[0].as<std::int64_t>();
    } catch (const std::exception&) {
      return -1;  // schema not migrated yet
    }
  }

  void WaitUntilCaughtUp(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    ASSERT_TRUE(Eventually([&] { return StoredOffsetsTotal() == produced_; }, timeout))
        << "stored " << StoredOffsetsTotal() << " of " << produced_ << "\n"
        << (service_ ? service_->LogText() : "");
  }

  // The read model's orders, rebuilt as domain values (with their courier and
  // the couriers who declined them: invariants::ReadReadModel reads both).
  std::map<std::string, domain::Order> ReadOrders() {
    std::map<std::string, domain::Order> orders;
    for (auto& [id, row] : invariants::ReadReadModel(database_url_, schema_)) orders[id] = std::move(row.order);
    return orders;
  }

  std::int64_t Count(const std::string& table) {
    auto connection = Connect();
    pqxx::work tx(connection);
    return tx.exec1("SELECT count(*) FROM " + Table(table))[0].as<std::int64_t>();
  }

  std::size_t ExpectedHistoryRows() const {
    std::size_t rows = 0;
    for (const auto& [id, events] : expected_.events) rows += events.size();
    return rows;
  }

  void ExpectReadModelEqualsFold() {
    const auto actual = ReadOrders();
    EXPECT_EQ(actual.size(), expected_.orders.size());
    for (const auto& [id, order] : expected_.orders) {
      auto it = actual.find(id);
      ASSERT_NE(it, actual.end()) << id;
      EXPECT_EQ(it->second, order) << id;
    }
    EXPECT_EQ(Count("order_history"), static_cast<std::int64_t>(ExpectedHistoryRows()));
  }

  // The report summaries as text, the writer slots added up (they only spread the rows).
  static std::string SummariesText(pqxx::transaction_base& tx) {
    std::string text;
    for (const char* query :
         {"SELECT string_agg(status || '=' || n, ',' ORDER BY status) FROM"
          " (SELECT status, sum(orders) AS n FROM report_status_counts GROUP BY status HAVING sum(orders) <> 0) s",
          "SELECT string_agg(concat_ws(' ', day, currency, p, c, d, x, r), ',' ORDER BY day, currency) FROM"
          " (SELECT day, currency, sum(placed) p, sum(confirmed) c, sum(delivered) d, sum(cancelled) x,"
          " sum(revenue_cents) r FROM report_daily GROUP BY day, currency) s",
          "SELECT string_agg(concat_ws(' ', day, product_id, currency, quantity, revenue_cents), ','"
          " ORDER BY day, product_id, currency) FROM report_products",
          "SELECT string_agg(concat_ws(' ', day, courier_id, deliveries, minutes::text), ',' ORDER BY day, courier_id)"
          " FROM report_couriers",
          "SELECT string_agg(concat_ws(' ', day, reason, n), ',' ORDER BY day, reason) FROM"
          " (SELECT day, reason, sum(orders) n FROM report_cancellations GROUP BY day, reason) s",
          "SELECT string_agg(concat_ws(' ', day, step, i, n), ',' ORDER BY day, step, i) FROM"
          " (SELECT day, step, i, sum(n) n FROM report_step_minutes, unnest(minutes) WITH ORDINALITY AS u(n, i)"
          " GROUP BY day, step, i) s"}) {
      const auto row = tx.exec1(query);
      text += (row[0].is_null() ? std::string("-") : row[0].as<std::string>()) + "\n";
    }
    return text;
  }

  // The summaries the projection kept batch by batch (redeliveries, restarts
  // and replays included) equal the same summaries computed once from the
  // stored history, and the status counts equal the orders' statuses.
  void ExpectSummariesEqualTheStoredHistory() {
    pqxx::connection connection(projection::ReadModelConnectionString(database_url_, schema_));
    pqxx::work tx(connection);
    EXPECT_EQ(tx.exec1("SELECT coalesce(string_agg(status || '=' || n, ',' ORDER BY status), '-') FROM"
                       " (SELECT status, count(*) AS n FROM orders GROUP BY status) s")[0]
                      .as<std::string>() +
                  "\n",
              SummariesText(tx).substr(0, SummariesText(tx).find('\n') + 1));
    const auto kept = SummariesText(tx);
    tx.exec(
        "TRUNCATE report_status_counts, report_daily, report_products, report_couriers, report_cancellations,"
        " report_step_minutes");
    projection::SummariseStoredHistory(tx);
    EXPECT_EQ(SummariesText(tx), kept);
    // Rolled back: the projection's own summaries stay.
  }

  // Stored next offset per partition of the test's topic.
  platform::PartitionOffsets StoredOffsets() {
    auto connection = Connect();
    pqxx::work tx(connection);
    platform::PartitionOffsets offsets;
    for (const auto& row : tx.exec("SELECT partition, next_offset FROM " + Table("consumer_offsets") +
                                   " WHERE topic = " + tx.quote(topic_))) {
      offsets[row[0].as<platform::Partition>()] = row[1].as<platform::Offset>();
    }
    return offsets;
  }

  // High watermark per partition of the test's topic.
  platform::PartitionOffsets TopicEndOffsets() {
    auto consumer = platform::KafkaConsumer::Create({KafkaBrokers(), "projection-test-ends", "", {}});
    if (!consumer) return {};
    return (*consumer)->EndOffsets(topic_, 10000).value_or(platform::PartitionOffsets{});
  }

  void ExpectStoredOffsetsAtTopicEnd() {
    const auto ends = TopicEndOffsets();
    ASSERT_EQ(ends.size(), 6u);
    EXPECT_EQ(StoredOffsets(), ends);
  }

  // What a history row says beyond its status: the reason and the courier
  // named by the event (nullopt where the event has none).
  static std::pair<std::optional<std::string>, std::optional<std::string>> ReasonAndCourier(
      const domain::Event& event) {
    if (const auto* changed = std::get_if<domain::StatusChanged>(&event)) return {changed->reason, std::nullopt};
    if (const auto* assigned = std::get_if<domain::CourierAssigned>(&event))
      return {std::nullopt, assigned->courier_id};
    if (const auto* released = std::get_if<domain::CourierUnassigned>(&event)) {
      return {released->reason, released->courier_id};
    }
    if (const auto* declined = std::get_if<domain::DeliveryDeclined>(&event)) {
      return {declined->reason, declined->courier_id};
    }
    return {std::nullopt, std::nullopt};
  }

  // Every order's history, row by row (version, event, status after the
  // event, time, reason, courier), equals the fold's: each event applied
  // exactly once, none missing.
  void ExpectHistoryEqualsFold() {
    using Row = std::tuple<std::int64_t, std::string, std::string, std::int64_t, std::optional<std::string>,
                           std::optional<std::string>>;
    std::map<std::string, std::vector<Row>> expected;
    for (const auto& [id, events] : expected_.events) {
      std::optional<domain::Order> state;
      for (const auto& event : events) {
        domain::Apply(state, event);
        auto [reason, courier] = ReasonAndCourier(event);
        expected[id].emplace_back(
            state->version, std::string(codec::EventName(event)), std::string(domain::ToString(state->status)),
            std::chrono::duration_cast<std::chrono::milliseconds>(domain::TimeOf(event).time_since_epoch()).count(),
            reason, courier);
      }
    }
    std::map<std::string, std::vector<Row>> actual;
    auto connection = Connect();
    pqxx::work tx(connection);
    const auto text = [](const pqxx::field& field) {
      return field.is_null() ? std::nullopt : std::optional<std::string>(field.as<std::string>());
    };
    for (const auto& row : tx.exec("SELECT order_id::text, version, event, status,"
                                   " (extract(epoch FROM at) * 1000)::bigint, reason, courier_id FROM " +
                                   Table("order_history") + " ORDER BY order_id, version")) {
      actual[row[0].as<std::string>()].emplace_back(row[1].as<std::int64_t>(), row[2].as<std::string>(),
                                                    row[3].as<std::string>(), row[4].as<std::int64_t>(), text(row[5]),
                                                    text(row[6]));
    }
    EXPECT_EQ(actual.size(), expected.size());
    for (const auto& [id, rows] : expected) EXPECT_EQ(actual[id], rows) << id;
  }

  std::map<std::string, std::string> extra_env_;  // set before SetUp
  bool send_token_ = true;                        // off in tests of what happens without one
  using HttpHeaders = std::map<std::string, std::string>;
  std::string database_url_ = DatabaseUrl();  // another cluster's URL may replace it before the service starts
  std::string topic_;
  std::string inventory_topic_;
  std::string schema_;
  std::string group_;
  std::unique_ptr<platform::KafkaProducer> producer_;
  std::unique_ptr<ServiceProcess> service_;
  std::atomic<int> failed_{0};
  std::int64_t produced_ = 0;
  std::int64_t stock_produced_ = 0;  // to inventory_topic_
  Fold expected_;
  std::thread load_;
  std::atomic<bool> stop_load_{false};
  std::atomic<std::int64_t> load_produced_{0};  // readable while the load runs
};

}  // namespace orders::testing

// How fast the projection replays the log into an empty read model, measured
// side by side with a plain bulk load of the same rows.
//
// Produces N events of realistic orders (several events per order, many orders
// open at once, so an order's events are spread over the log) into a fresh
// topic, then alternates, each run into a fresh schema:
//   baseline  the final rows (orders, order_history, consumer_offsets and the
//             report summaries), decoded and formatted in memory beforehand,
//             written by COPY into staging tables plus INSERT ... ON CONFLICT
//             into the real tables (the few summary rows: one INSERT ... ON
//             CONFLICT from arrays), in one transaction; no Kafka work at all;
//   ours      the projection-service binary consuming the topic from offset 0,
//             timed from process start until its stored offsets reach the end.
// Prints events/s per run, the medians and projection_vs_copy_upsert =
// ours / baseline, CPU seconds (client process and its PostgreSQL backends)
// and peak RSS.
//
//   projection_replay_bench [--events N | --quick] [--pairs P] [--open-orders K] [--json FILE]
//   (KAFKA_BROKERS and DATABASE_URL as for the tests)

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>
#include <orders/codec/event_codec.hpp>
#include <orders/codec/json_read.hpp>
#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/partition_offsets.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/projection/batch_summary.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

#include "pg/migrations.hpp"
#include "pg/sql_text.hpp"
#include "pg/summary_statements.hpp"

using namespace orders;
using Clock = std::chrono::steady_clock;
using domain::Status;

namespace {

struct Options {
  long events = 1000000;
  int pairs = 3;
  int open_orders = 5000;
  std::string json_file;
};

std::optional<Options> ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    const bool has_value = i + 1 < argc;
    if (argument == "--quick") {
      options.events = 100000;
    } else if (argument == "--events" && has_value) {
      options.events = std::stol(argv[++i]);
    } else if (argument == "--pairs" && has_value) {
      options.pairs = std::stoi(argv[++i]);
    } else if (argument == "--open-orders" && has_value) {
      options.open_orders = std::stoi(argv[++i]);
    } else if (argument == "--json" && has_value) {
      options.json_file = argv[++i];
    } else {
      std::fprintf(
          stderr,
          "usage: projection_replay_bench [--events N | --quick] [--pairs P] [--open-orders K] [--json FILE]\n");
      return std::nullopt;
    }
  }
  if (options.events <= 0 || options.pairs <= 0 || options.open_orders <= 0) return std::nullopt;
  return options;
}

// ---------------------------------------------------------------------------
// The log: `open_orders` orders are open at any time; each step either places
// a new order (when one finished) or moves a random open one forward: mostly
// one step, sometimes a skipped step, sometimes a cancellation.

struct LoggedEvent {
  domain::Event event;
  std::string event_id;
};

Status NextStatus(Status from, std::mt19937_64& random) {
  const int roll = static_cast<int>(random() % 100);
  if (roll < 8 && domain::IsTransitionAllowed(from, Status::kCancelled)) return Status::kCancelled;
  std::vector<Status> forward;
  for (auto candidate : domain::kAllStatuses) {
    if (candidate != Status::kCancelled && domain::IsTransitionAllowed(from, candidate)) forward.push_back(candidate);
  }
  return roll < 20 && forward.size() > 1 ? forward[1] : forward[0];
}

std::vector<LoggedEvent> GenerateLog(long count, int open_orders, unsigned seed) {
  struct Open {
    std::string id;
    Status status;
    std::int64_t version;
  };
  std::mt19937_64 random(seed);
  std::vector<Open> open;
  std::vector<LoggedEvent> log;
  log.reserve(static_cast<std::size_t>(count));
  std::int64_t clock_ms = 1764000000000;
  while (static_cast<long>(log.size()) < count) {
    clock_ms += 1 + static_cast<std::int64_t>(random() % 20);
    const domain::Timestamp at{std::chrono::milliseconds(clock_ms)};
    if (static_cast<int>(open.size()) < open_orders) {
      domain::OrderPlaced placed{platform::NewUuid(),
                                 1,
                                 at,
                                 "customer-" + std::to_string(random() % 20000),
                                 {},
                                 random() % 10 == 0 ? "EUR" : "USD",
                                 0};
      for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) {
        placed.items.push_back({"sku-" + std::to_string(random() % 5000), 1 + static_cast<std::int64_t>(random() % 5),
                                100 + static_cast<std::int64_t>(random() % 10000)});
      }
      placed.total_cents = domain::TotalCents(placed.items);
      open.push_back({placed.order_id, Status::kPending, 1});
      log.push_back({std::move(placed), platform::NewUuid()});
      continue;
    }
    const std::size_t pick = random() % open.size();
    Open& order = open[pick];
    const Status to = NextStatus(order.status, random);
    domain::StatusChanged changed{order.id, ++order.version, at, order.status, to, std::nullopt};
    if (to == Status::kCancelled) changed.reason = "customer changed their mind";
    order.status = to;
    log.push_back({std::move(changed), platform::NewUuid()});
    if (domain::IsTerminal(to)) {
      open[pick] = std::move(open.back());
      open.pop_back();
    }
  }
  return log;
}

bool ProduceLog(const std::string& topic, const std::vector<LoggedEvent>& log) {
  auto created = platform::KafkaProducer::Create(
      {testing::KafkaBrokers(),
       "bench",
       "",
       {{"linger.ms", "20"}, {"batch.num.messages", "10000"}, {"queue.buffering.max.messages", "1000000"}}});
  if (!created) return false;
  auto& producer = *created;
  std::atomic<long> failed{0};
  for (const auto& entry : log) {
    const auto record = codec::EncodeEvent(entry.event, {entry.event_id, "/bench", std::nullopt, std::nullopt});
    while (!producer->Produce(topic, record.key, record.value, record.headers,
                              [&failed](const platform::DeliveryReport& report) {
                                if (report.outcome != platform::DeliveryReport::Outcome::kPersisted) ++failed;
                              })) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return producer->Flush(300000) && failed == 0;
}

void DeleteTopic(const std::string& topic) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", testing::KafkaBrokers().c_str(), errstr, sizeof errstr);
  rd_kafka_t* admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!admin) return;
  rd_kafka_DeleteTopic_t* request = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
  rd_kafka_DeleteTopics(admin, &request, 1, nullptr, queue);
  if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000)) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_DeleteTopic_destroy(request);
  rd_kafka_destroy(admin);
}

// ---------------------------------------------------------------------------
// The baseline's rows: exactly what the read model holds after the replay.

using OrderRow = std::tuple<std::string, std::string, std::string, std::string, std::int64_t, std::string, std::int64_t,
                            std::string, std::string>;
using HistoryRow = std::tuple<std::string, std::int64_t, std::string, std::string, std::optional<std::string>,
                              std::string, std::string>;

struct Rows {
  std::vector<OrderRow> orders;
  std::vector<HistoryRow> history;
  projection::SummaryDeltas summaries;
  platform::PartitionOffsets offsets;
};

// The report summaries of the whole log, added up as the projection adds up one batch holding all of it.
projection::SummaryDeltas SummariseLog(const std::vector<LoggedEvent>& log) {
  std::map<std::string, std::optional<domain::Order>> states;
  projection::BatchWrites writes;
  for (const auto& entry : log) {
    auto& state = states[domain::OrderIdOf(entry.event)];
    const auto before = state ? std::optional(state->status) : std::nullopt;
    if (domain::Apply(state, entry.event) != domain::ApplyOutcome::kApplied) continue;
    projection::HistoryRow row;
    row.order_id = state->order_id;
    row.version = state->version;
    row.status = state->status;
    row.at = domain::TimeOf(entry.event);
    row.event = std::string(codec::EventName(entry.event));
    row.status_before = before;
    if (const auto* changed = std::get_if<domain::StatusChanged>(&entry.event)) row.reason = changed->reason;
    writes.history.push_back(std::move(row));
  }
  for (auto& [id, state] : states) {
    writes.upserts.push_back(std::move(*state));
    writes.stored_before.push_back(false);
  }
  return projection::SummariseBatch(writes, {}, {}, &projection::PgText);
}

Rows FoldRows(const std::vector<LoggedEvent>& log, platform::PartitionOffsets end_offsets) {
  std::map<std::string, std::optional<domain::Order>> states;
  Rows rows;
  rows.history.reserve(log.size());
  for (const auto& entry : log) {
    auto& state = states[domain::OrderIdOf(entry.event)];
    if (domain::Apply(state, entry.event) != domain::ApplyOutcome::kApplied) continue;
    const auto* changed = std::get_if<domain::StatusChanged>(&entry.event);
    rows.history.emplace_back(state->order_id, state->version, std::string(domain::ToString(state->status)),
                              codec::FormatTimestamp(domain::TimeOf(entry.event)),
                              changed ? changed->reason : std::nullopt, entry.event_id,
                              std::string(codec::EventName(entry.event)));
  }
  rows.orders.reserve(states.size());
  for (const auto& [id, state] : states) {
    rows.orders.emplace_back(id, state->customer_id, codec::DumpJson(codec::LineItemsToJson(state->items)),
                             state->currency, state->total_cents, std::string(domain::ToString(state->status)),
                             state->version, codec::FormatTimestamp(state->created_at),
                             codec::FormatTimestamp(state->updated_at));
  }
  rows.summaries = SummariseLog(log);
  rows.offsets = std::move(end_offsets);
  return rows;
}

// ---------------------------------------------------------------------------
// Measuring.

struct Usage {
  double cpu_seconds = 0;
  long peak_rss_kb = 0;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

double CpuSecondsOf(int pid) {
  const std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state
    if (index == 14) utime = std::stoull(field);
    if (index == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long PeakRssKbOf(int pid) {
  std::istringstream lines(ReadText("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

Usage SelfUsage() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return {static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
              static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
          usage.ru_maxrss};
}

std::vector<int> BackendPids(pqxx::connection& connection, const std::string& application) {
  pqxx::nontransaction tx(connection);
  std::vector<int> pids;
  for (const auto& row : tx.exec_params("SELECT pid FROM pg_stat_activity WHERE application_name = $1", application)) {
    pids.push_back(row[0].as<int>());
  }
  return pids;
}

double CpuSecondsOf(const std::vector<int>& pids) {
  double total = 0;
  for (int pid : pids) total += CpuSecondsOf(pid);
  return total;
}

struct Run {
  int pair = 0;
  std::string kind;
  double seconds = 0;
  double events_per_s = 0;
  double cpu_seconds = 0;          // the client process: the bench (baseline) or the service (ours)
  double backend_cpu_seconds = 0;  // its PostgreSQL backends
  long peak_rss_kb = 0;
  bool rows_ok = false;
  long batches = 0;  // ours: batch transactions committed
};

// The value of one series in the service's /metrics page; 0 when absent.
double MetricValue(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

std::string WithApplication(const std::string& url, const std::string& name) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

std::string SchemaName(const std::string& prefix) {
  auto name = testing::UniqueName(prefix);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// Runs a statement on a fresh connection (setup and cleanup, never timed).
void Execute(const std::string& sql) {
  pqxx::connection connection(testing::DatabaseUrl());
  pqxx::nontransaction tx(connection);
  tx.exec(sql);
}

// Every run's schema is dropped when the run ends, whichever way it ends.
struct DropSchemaAtExit {
  std::string name;
  ~DropSchemaAtExit() {
    try {
      Execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cannot drop schema %s: %s\n", name.c_str(), e.what());
    }
  }
};

bool RowsMatch(const std::string& schema, const Rows& rows) {
  pqxx::connection connection(testing::DatabaseUrl());
  pqxx::nontransaction tx(connection);
  const auto orders = tx.exec1("SELECT count(*) FROM " + tx.quote_name(schema) + ".orders")[0].as<std::size_t>();
  const auto history =
      tx.exec1("SELECT count(*) FROM " + tx.quote_name(schema) + ".order_history")[0].as<std::size_t>();
  const auto placed =
      tx.exec1("SELECT coalesce(sum(placed), 0) FROM " + tx.quote_name(schema) + ".report_daily")[0].as<std::size_t>();
  return orders == rows.orders.size() && history == rows.history.size() && placed == rows.orders.size();
}

Run RunBaseline(const Rows& rows, long events, const std::string& topic) {
  const std::string schema = SchemaName("bench_copy");
  const std::string application = testing::UniqueName("bench-copy");
  DropSchemaAtExit drop_schema{schema};
  pqxx::connection connection(WithApplication(testing::DatabaseUrl(), application));
  projection::Migrate(connection, schema);
  projection::PrepareSummaryStatements(connection);
  Execute("CHECKPOINT");
  const int backend = BackendPids(connection, application).at(0);
  const double backend_cpu_before = CpuSecondsOf(backend);
  const Usage before = SelfUsage();
  const auto started = Clock::now();
  {
    pqxx::work tx(connection);
    tx.exec("SET LOCAL search_path TO " + tx.quote_name(schema));
    tx.exec("CREATE TEMP TABLE orders_stage (LIKE orders INCLUDING DEFAULTS) ON COMMIT DROP");
    tx.exec("CREATE TEMP TABLE history_stage (LIKE order_history) ON COMMIT DROP");
    {
      pqxx::stream_to copy(tx, "orders_stage",
                           std::vector<std::string>{"order_id", "customer_id", "items", "currency", "total_cents",
                                                    "status", "version", "created_at", "updated_at"});
      for (const auto& row : rows.orders) copy << row;
      copy.complete();
    }
    {
      pqxx::stream_to copy(
          tx, "history_stage",
          std::vector<std::string>{"order_id", "version", "status", "at", "reason", "event_id", "event"});
      for (const auto& row : rows.history) copy << row;
      copy.complete();
    }
    tx.exec(
        "INSERT INTO orders SELECT * FROM orders_stage ON CONFLICT (order_id) DO UPDATE"
        " SET status = excluded.status, version = excluded.version, updated_at = excluded.updated_at"
        " WHERE orders.version < excluded.version");
    tx.exec("INSERT INTO order_history SELECT * FROM history_stage ON CONFLICT (order_id, version) DO NOTHING");
    projection::AddSummaries(tx, 0, rows.summaries);
    for (const auto& [partition, offset] : rows.offsets) {
      tx.exec_params(
          "INSERT INTO consumer_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)"
          " ON CONFLICT (topic, partition) DO UPDATE"
          " SET next_offset = GREATEST(consumer_offsets.next_offset, excluded.next_offset)",
          topic, partition, offset);
    }
    tx.commit();
  }
  Run run;
  run.kind = "baseline";
  run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  run.events_per_s = static_cast<double>(events) / run.seconds;
  const Usage after = SelfUsage();
  run.cpu_seconds = after.cpu_seconds - before.cpu_seconds;
  run.backend_cpu_seconds = CpuSecondsOf(backend) - backend_cpu_before;
  run.peak_rss_kb = after.peak_rss_kb;
  run.rows_ok = RowsMatch(schema, rows);
  return run;
}

std::int64_t StoredTotal(pqxx::connection& connection, const std::string& schema, const std::string& topic) {
  try {
    pqxx::nontransaction tx(connection);
    return tx
        .exec_params1(
            "SELECT coalesce(sum(next_offset), 0) FROM " + tx.quote_name(schema) + ".consumer_offsets WHERE topic = $1",
            topic)[0]
        .as<std::int64_t>();
  } catch (const pqxx::sql_error&) {
    return -1;  // not migrated yet
  }
}

std::optional<Run> RunOurs(const Rows& rows, long events, const std::string& topic) {
  const std::string schema = SchemaName("bench_proj");
  const std::string application = testing::UniqueName("bench-proj");
  pqxx::connection observer(testing::DatabaseUrl());
  Execute("CHECKPOINT");
  DropSchemaAtExit drop_schema{schema};  // declared before the service: runs after it stopped
  testing::ServiceProcess service(testing::ProjectionServiceBinary(),
                                  {{"ORDERS_TOPIC", topic},
                                   // No inventory to replay: a topic that does not exist keeps the
                                   // service's inventory consumer idle, so only the orders are measured.
                                   {"INVENTORY_TOPIC", testing::UniqueName("bench-no-inventory")},
                                   {"READ_MODEL_SCHEMA", schema},
                                   {"CONSUMER_GROUP", testing::UniqueName("bench-group")},
                                   {"DATABASE_URL", WithApplication(testing::DatabaseUrl(), application)},
                                   {"LOG_LEVEL", "info"}});
  const auto started = Clock::now();
  if (!service.Start()) {
    std::fprintf(stderr, "the projection did not start:\n%s\n", service.LogText().c_str());
    return std::nullopt;
  }
  const bool caught_up = testing::Eventually([&] { return StoredTotal(observer, schema, topic) == events; },
                                             std::chrono::minutes(20), std::chrono::milliseconds(10));
  Run run;
  run.kind = "ours";
  run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  run.events_per_s = static_cast<double>(events) / run.seconds;
  run.cpu_seconds = CpuSecondsOf(service.pid());
  run.peak_rss_kb = PeakRssKbOf(service.pid());
  run.backend_cpu_seconds = CpuSecondsOf(BackendPids(observer, application));
  run.batches = static_cast<long>(
      MetricValue(testing::HttpRequest(service.port(), "GET", "/metrics").body, "projection_batches_total"));
  service.Stop();
  if (!caught_up) {
    std::fprintf(stderr, "the projection did not catch up:\n%s\n", service.LogText().c_str());
    return std::nullopt;
  }
  run.rows_ok = RowsMatch(schema, rows);
  return run;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

void PrintRun(const Run& run) {
  std::printf(
      "  pair %d %-8s %7.2f s  %9.0f events/s  cpu %6.2f s (%s)  pg backend cpu %6.2f s  peak rss %6.1f MB (%s)",
      run.pair, run.kind.c_str(), run.seconds, run.events_per_s, run.cpu_seconds,
      run.kind == "ours" ? "service" : "bench client", run.backend_cpu_seconds, run.peak_rss_kb / 1024.0,
      run.kind == "ours" ? "service" : "bench, holding the whole log");
  if (run.kind == "ours") std::printf("  %ld batches", run.batches);
  std::printf("%s\n", run.rows_ok ? "" : "  ROW COUNTS WRONG");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = ParseOptions(argc, argv);
  if (!options) return 2;
  const std::string topic = testing::UniqueName("bench-replay");
  if (auto error = testing::CreateTopic(topic, 6); !error.empty()) {
    std::fprintf(stderr, "cannot create topic: %s\n", error.c_str());
    return 1;
  }
  struct DeleteAtExit {
    std::string topic;
    ~DeleteAtExit() { DeleteTopic(topic); }
  } delete_topic{topic};
  const auto log = GenerateLog(options->events, options->open_orders, 20251128);
  const auto produce_started = Clock::now();
  if (!ProduceLog(topic, log)) {
    std::fprintf(stderr, "producing the log failed\n");
    return 1;
  }
  const double produce_seconds = std::chrono::duration<double>(Clock::now() - produce_started).count();
  auto consumer = platform::KafkaConsumer::Create({testing::KafkaBrokers(), "bench-ends", "", {}});
  const auto ends = consumer ? (*consumer)->EndOffsets(topic, 10000) : std::nullopt;
  if (!ends) {
    std::fprintf(stderr, "cannot read the topic's end offsets\n");
    return 1;
  }
  const Rows rows = FoldRows(log, *ends);
  std::printf(
      "projection_replay_bench: %ld events of %zu orders (%.2f events per order, %d open at any time), "
      "6 partitions, produced in %.1f s\n",
      options->events, rows.orders.size(), static_cast<double>(options->events) / rows.orders.size(),
      options->open_orders, produce_seconds);
  std::printf(
      "  baseline: COPY of the final rows (decoded and formatted in memory beforehand) into staging tables, then\n"
      "            INSERT ... ON CONFLICT into orders, order_history, consumer_offsets and the report summaries; one\n"
      "            transaction; no Kafka work\n"
      "  ours:     the projection-service binary replaying the topic from offset 0 into an empty schema,\n"
      "            timed from process start until its stored offsets reach the topic's end\n");

  std::vector<Run> runs;
  for (int pair = 1; pair <= options->pairs; ++pair) {
    Run baseline = RunBaseline(rows, options->events, topic);
    baseline.pair = pair;
    PrintRun(baseline);
    auto ours = RunOurs(rows, options->events, topic);
    if (!ours) return 1;
    ours->pair = pair;
    PrintRun(*ours);
    runs.push_back(baseline);
    runs.push_back(*ours);
  }

  std::vector<double> baseline_rates, our_rates;
  bool rows_ok = true;
  for (const auto& run : runs) {
    (run.kind == "baseline" ? baseline_rates : our_rates).push_back(run.events_per_s);
    rows_ok = rows_ok && run.rows_ok;
  }
  const double baseline_median = Median(baseline_rates);
  const double ours_median = Median(our_rates);
  const double ratio = ours_median / baseline_median;
  std::printf("median: baseline %.0f events/s, ours %.0f events/s, projection_vs_copy_upsert = %.3f\n", baseline_median,
              ours_median, ratio);

  if (!options->json_file.empty()) {
    nlohmann::json json{{"events", options->events},
                        {"orders", rows.orders.size()},
                        {"open_orders", options->open_orders},
                        {"pairs", options->pairs},
                        {"baseline_events_per_s", baseline_median},
                        {"ours_events_per_s", ours_median},
                        {"projection_vs_copy_upsert", ratio},
                        {"runs", nlohmann::json::array()}};
    for (const auto& run : runs) {
      json["runs"].push_back({{"pair", run.pair},
                              {"kind", run.kind},
                              {"seconds", run.seconds},
                              {"events_per_s", run.events_per_s},
                              {"cpu_seconds", run.cpu_seconds},
                              {"backend_cpu_seconds", run.backend_cpu_seconds},
                              {"peak_rss_kb", run.peak_rss_kb},
                              {"batches", run.batches},
                              {"rows_ok", run.rows_ok}});
    }
    std::ofstream(options->json_file) << json.dump(2) << "\n";
  }
  return rows_ok ? 0 : 1;
}

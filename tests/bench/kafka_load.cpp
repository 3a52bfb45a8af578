// orders_kafka_load: Kafka-side load for the benchmarks.
//
//   --mode raw  --topic T --duration S --in-flight C [--records N] [--json FILE] [--label NAME]
//     The baseline for the command service: a plain librdkafka producer with
//     the command service's settings (platform::MakeProducerConf + its
//     overrides) appends the same records a POST /orders appends (an
//     order.placed event with its CloudEvents headers), keeping C records in
//     flight, as C HTTP clients each waiting for their answer would. Reports
//     acknowledged records/s and produce → acknowledgement latency. With
//     --records, exactly N records and no warm-up: a burst of a fixed size,
//     whatever the machine's load (the duration is then ignored).
//
//   --mode feed --topic T --rate R --duration S [--orders K] [--settle S2] [--placed-file F]
//     Feeds the notifier and the projection: places K orders, creates F once
//     they are acknowledged, waits S2 seconds (default 1) so that consumers
//     have applied them, then appends status changes at R events/s (open
//     loop), walking each order through its lifecycle, each with
//     "reason":"t=<CLOCK_REALTIME ns>" stamped when it is produced.
//
//   --mode history --topic T --events N [--live K] [--inventory-topic I [--products P]] [--json FILE]
//     Writes a history for the start-up benchmark, as fast as the broker takes
//     it: finished orders (placed and walked to delivered, six events each,
//     dated evenly from 30 days to 2 days ago) until N events minus K are
//     written, then K live orders (placed now, still pending). With an
//     inventory topic, also the stock of P products (default 100): each
//     product's stock set first, then per finished order one unit of product
//     n % P reserved and committed at the order's time, and per live order one
//     reserved now (still held). Reports what it wrote.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/platform/kafka_settings.hpp>
#include <orders/platform/uuid.hpp>

#include "lib/bench_args.hpp"
#include "lib/bench_clock.hpp"
#include "lib/latency_histogram.hpp"

namespace orders::bench {
namespace {

using Clock = std::chrono::steady_clock;

domain::Timestamp Now() {
  return domain::Timestamp{
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())};
}

// What the command service stamps on an event it appends (no caller, no trace).
codec::EventMetadata Metadata() {
  codec::EventMetadata metadata;
  metadata.event_id = platform::NewUuid();
  metadata.source = "/command-service";
  return metadata;
}

struct Sent {
  Clock::time_point at;
};

class Reports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* sent = static_cast<Sent*>(message.msg_opaque());
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent->at).count();
    delete sent;
    std::lock_guard lock(mutex);
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++acknowledged;
      if (measuring) histogram.Record(latency);
      if (measuring) ++acknowledged_in_window;
    } else {
      ++failed;
    }
    --in_flight;
  }
  std::mutex mutex;
  LatencyHistogram histogram;
  std::uint64_t acknowledged = 0;
  std::uint64_t acknowledged_in_window = 0;
  std::uint64_t failed = 0;
  std::int64_t in_flight = 0;
  bool measuring = false;
};

std::unique_ptr<RdKafka::Producer> MakeProducer(Reports& reports) {
  // The command service's own overrides (command-service/src/service.cpp).
  auto conf =
      platform::MakeProducerConf({std::getenv("KAFKA_BROKERS") ? std::getenv("KAFKA_BROKERS") : "127.0.0.1:9092",
                                  "bench-raw",
                                  "",
                                  {{"message.timeout.ms", "3000"}, {"request.timeout.ms", "2500"}}});
  std::string error = conf ? "" : conf.error().message;
  if (!conf || (*conf)->set("dr_cb", &reports, error) != RdKafka::Conf::CONF_OK) {
    std::fprintf(stderr, "producer config: %s\n", error.c_str());
    return nullptr;
  }
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), error));
  if (!producer) std::fprintf(stderr, "producer: %s\n", error.c_str());
  return producer;
}

bool Produce(RdKafka::Producer& producer, Reports& reports, const std::string& topic,
             const codec::EventRecord& record) {
  auto* headers = RdKafka::Headers::create();
  for (const auto& [name, value] : record.headers) headers->add(name, value);
  auto* sent = new Sent{Clock::now()};
  {
    std::lock_guard lock(reports.mutex);
    ++reports.in_flight;
  }
  const auto status = producer.produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                       const_cast<char*>(record.value.data()), record.value.size(), record.key.data(),
                                       record.key.size(), 0, headers, sent);
  if (status != RdKafka::ERR_NO_ERROR) {
    delete headers;
    delete sent;
    std::lock_guard lock(reports.mutex);
    --reports.in_flight;
    return false;
  }
  return true;
}

codec::EventRecord Placement(std::uint64_t n, domain::Timestamp at = Now()) {
  domain::OrderPlaced placed{platform::NewUuid(),
                             1,
                             at,
                             "bench-" + std::to_string(n % 1000),
                             {{"sku-1", 2, 1250}, {"sku-2", 1, 500}},
                             "EUR",
                             3000};
  return codec::EncodeEvent(placed, Metadata());
}

int RunRaw(const Args& args) {
  Reports reports;
  auto producer = MakeProducer(reports);
  if (!producer) return 1;
  const std::string topic = args.Get("topic");
  const auto in_flight = static_cast<std::int64_t>(args.Number("in-flight", 32));
  const double duration = args.Number("duration", 10);
  std::atomic<bool> stop{false};
  std::thread poller([&] {
    while (!stop) producer->poll(1);
  });
  const auto records = static_cast<std::uint64_t>(args.Number("records", 0));  // 0: for the duration
  std::uint64_t n = 0;
  auto fill = [&] {
    while (records == 0 || n < records) {
      {
        std::lock_guard lock(reports.mutex);
        if (reports.in_flight >= in_flight) return;
      }
      if (!Produce(*producer, reports, topic, Placement(n + 1))) return;
      ++n;
    }
  };
  // Warm-up: one second, not measured (none for a fixed count: every record is measured).
  const auto warm = Clock::now() + std::chrono::seconds(records ? 0 : 1);
  while (Clock::now() < warm) {
    fill();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  {
    std::lock_guard lock(reports.mutex);
    reports.measuring = true;
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  while (records ? n < records : Clock::now() < end) {
    fill();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  if (records) producer->flush(30000);  // the count is of acknowledged records
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  {
    std::lock_guard lock(reports.mutex);
    reports.measuring = false;
  }
  producer->flush(10000);
  stop = true;
  poller.join();
  std::lock_guard lock(reports.mutex);
  const nlohmann::json report = {{"label", args.Get("label", "raw-produce")},
                                 {"in_flight", in_flight},
                                 {"seconds", seconds},
                                 {"acknowledged", reports.acknowledged_in_window},
                                 {"throughput_per_s", static_cast<double>(reports.acknowledged_in_window) / seconds},
                                 {"failed", reports.failed},
                                 {"payload_bytes", Placement(0).value.size()},
                                 {"latency", reports.histogram.Summary()}};
  orders::bench::Emit(report, args);
  return 0;
}

// The lifecycle the feed and the history walk an order through, one status change at a time.
constexpr domain::Status kFlow[] = {domain::Status::kPending,        domain::Status::kConfirmed,
                                    domain::Status::kProcessing,     domain::Status::kShipped,
                                    domain::Status::kOutForDelivery, domain::Status::kDelivered};
constexpr int kLastStep = static_cast<int>(std::size(kFlow)) - 1;

codec::EventRecord StatusChange(const std::string& order_id, int step, domain::Timestamp at,
                                std::optional<std::string> reason) {
  domain::StatusChanged changed{order_id, step + 2, at, kFlow[step], kFlow[step + 1], std::move(reason)};
  return codec::EncodeEvent(changed, Metadata());
}

// The stock side of a history: one product per order, n % products.
class StockHistory {
 public:
  StockHistory(std::uint64_t products, domain::Timestamp at) : versions_(products, 1) {
    for (std::uint64_t p = 0; p < products; ++p) {
      pending_.push_back(Encode(domain::StockSet{ProductId(p), 1, at, domain::kMaxOnHand}));
    }
  }
  void Finished(std::uint64_t n, const std::string& order_id, domain::Timestamp at) {
    const std::uint64_t p = n % versions_.size();
    pending_.push_back(Encode(domain::StockReserved{ProductId(p), ++versions_[p], at, order_id, 1}));
    pending_.push_back(Encode(domain::StockCommitted{ProductId(p), ++versions_[p], at, order_id, 1}));
  }
  void Live(std::uint64_t n, const std::string& order_id, domain::Timestamp at) {
    const std::uint64_t p = n % versions_.size();
    pending_.push_back(Encode(domain::StockReserved{ProductId(p), ++versions_[p], at, order_id, 1}));
  }
  // Hands over what was added since the last call.
  std::vector<codec::EventRecord> Take() { return std::exchange(pending_, {}); }

 private:
  static std::string ProductId(std::uint64_t p) { return "bench-sku-" + std::to_string(p); }
  static codec::EventRecord Encode(const domain::StockEvent& event) { return codec::EncodeEvent(event, Metadata()); }
  std::vector<std::int64_t> versions_;
  std::vector<codec::EventRecord> pending_;
};

int RunHistory(const Args& args) {
  Reports reports;
  auto producer = MakeProducer(reports);
  if (!producer) return 1;
  const std::string topic = args.Get("topic");
  const std::string inventory_topic = args.Get("inventory-topic");
  const auto events = static_cast<std::uint64_t>(args.Number("events", 1000000));
  const auto live = std::min(static_cast<std::uint64_t>(args.Number("live", 0)), events);
  const std::uint64_t finished_total = (events - live) / (kLastStep + 1);
  // Finished orders spread over four weeks, so that retentions measured in event time see an old history.
  const auto oldest = Now() - std::chrono::hours(24 * 30);
  const auto span = std::chrono::hours(24 * 28);
  auto dated = [&](std::uint64_t n) {
    return oldest + std::chrono::duration_cast<std::chrono::milliseconds>(
                        span * (static_cast<double>(n) / std::max<std::uint64_t>(finished_total, 1)));
  };
  std::optional<StockHistory> stock;
  if (!inventory_topic.empty()) {
    stock.emplace(static_cast<std::uint64_t>(std::max(1.0, args.Number("products", 100))), oldest);
  }
  std::uint64_t written = 0, stock_written = 0;
  auto send = [&](const std::string& to, const codec::EventRecord& record) {
    while (!Produce(*producer, reports, to, record)) producer->poll(10);
    producer->poll(0);
  };
  auto send_stock = [&] {
    if (!stock) return;
    for (const auto& record : stock->Take()) {
      send(inventory_topic, record);
      ++stock_written;
    }
  };
  const auto start = Clock::now();
  send_stock();
  std::uint64_t finished = 0;
  for (; finished < finished_total; ++finished) {
    const auto at = dated(finished);
    const auto placement = Placement(finished, at);
    send(topic, placement);
    for (int step = 0; step < kLastStep; ++step) send(topic, StatusChange(placement.key, step, at, std::nullopt));
    written += kLastStep + 1;
    if (stock) {
      stock->Finished(finished, placement.key, at);
      send_stock();
    }
  }
  for (std::uint64_t i = 0; i < live; ++i) {
    const auto placement = Placement(finished + i);
    send(topic, placement);
    if (stock) {
      stock->Live(finished + i, placement.key, Now());
      send_stock();
    }
  }
  written += live;
  producer->flush(120000);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::lock_guard lock(reports.mutex);
  const nlohmann::json report = {{"label", args.Get("label", "history")}, {"events", written},
                                 {"finished_orders", finished},           {"live_orders", live},
                                 {"inventory_events", stock_written},     {"seconds", seconds},
                                 {"acknowledged", reports.acknowledged},  {"failed", reports.failed}};
  orders::bench::Emit(report, args);
  return reports.failed == 0 && reports.acknowledged == written + stock_written ? 0 : 1;
}

int RunFeed(const Args& args) {
  Reports reports;
  auto producer = MakeProducer(reports);
  if (!producer) return 1;
  const std::string topic = args.Get("topic");
  const double rate = args.Number("rate", 100);
  const double duration = args.Number("duration", 10);
  const auto orders = static_cast<std::size_t>(args.Number("orders", 200));
  std::atomic<bool> stop{false};
  std::thread poller([&] {
    while (!stop) producer->poll(1);
  });
  struct Walk {
    std::string id;
    int step = 0;
  };
  std::vector<Walk> walks;
  auto place = [&](std::uint64_t n) {
    auto record = Placement(n);
    walks.push_back({record.key, 0});
    while (!Produce(*producer, reports, topic, record)) producer->poll(10);
  };
  for (std::size_t i = 0; i < orders; ++i) place(i);
  producer->flush(30000);
  if (args.Has("placed-file")) std::ofstream(args.Get("placed-file")) << orders << "\n";
  // Let consumers apply the placements first: only the paced stream is measured.
  std::this_thread::sleep_for(std::chrono::duration<double>(args.Number("settle", 1)));

  const auto start = Clock::now();
  std::uint64_t produced = 0;
  std::size_t next = 0;
  while (true) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed >= duration) break;
    while (produced < static_cast<std::uint64_t>(elapsed * rate)) {
      auto& walk = walks[next];
      next = (next + 1) % walks.size();
      if (walk.step == kLastStep) {  // delivered: start a fresh order in its slot
        auto record = Placement(orders + produced);
        walk = {record.key, 0};
        while (!Produce(*producer, reports, topic, record)) producer->poll(10);
        ++produced;
        continue;
      }
      const auto record = StatusChange(walk.id, walk.step, Now(), "t=" + std::to_string(RealtimeNanos()));
      ++walk.step;
      while (!Produce(*producer, reports, topic, record)) producer->poll(10);
      ++produced;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  producer->flush(30000);
  stop = true;
  poller.join();
  const nlohmann::json report = {{"label", args.Get("label", "feed")},
                                 {"placed", orders},
                                 {"produced", produced},
                                 {"rate", rate},
                                 {"failed", reports.failed}};
  orders::bench::Emit(report, args);
  return 0;
}

}  // namespace
}  // namespace orders::bench

int main(int argc, char** argv) {
  const orders::bench::Args args(argc, argv);
  if (args.Get("topic").empty()) {
    std::fprintf(stderr, "--topic is required\n");
    return 2;
  }
  const std::string mode = args.Get("mode", "raw");
  if (mode == "feed") return orders::bench::RunFeed(args);
  if (mode == "history") return orders::bench::RunHistory(args);
  return orders::bench::RunRaw(args);
}

// orders_workflow_load: orders placed -> seen on a WebSocket in the status a
// run waits for (the `workflow` phase of ./infra/bench.sh).
//
//   --command-port P --notifier-port P [--until confirmed|placed] [--duration S]
//   [--rate R | --in-flight K] [--connections 32] [--products 200] [--tracked]
//   [--stock N] [--max-orders N] [--timeout S] [--customer ID] [--product-prefix P]
//   [--json FILE] [--label NAME]
//
// The bearer token comes from the environment (ORDERS_TOKEN, a service token:
// it may place orders for any customer, write stock and read every order).
//
// Every order has two lines: product <P><2k> and product <P><2k+1>, k
// cycling over --products / 2, P a prefix of the run's own (--product-prefix;
// default wfb-<random>-). Fresh products per run keep runs comparable: the
// orders of a run stay confirmed (not delivered), so their reservations stay
// open, and a later run on the same products would start with more open
// reservations than an earlier one. With --tracked the even products get stock
// first (PUT /inventory, --stock each, high enough never to run out), so half
// the products are tracked and every order has one line to reserve and one
// that needs nothing: with the fulfilment workflow on, each order goes
// through reservation and payment before it is confirmed.
//
// One WebSocket subscribes to the run's own customer ({"type":"subscribe",
// "customerId":…}, a fresh customer per run, so its snapshot is empty). The
// tool chooses every order's id itself (POST /orders {orderId}), so it knows
// which order an update is about even before the POST is answered. An order is
// done when an update shows it in the --until status: `confirmed` (the
// workflow took it through stock and payment) or `placed` (its first update,
// the baseline with the workflow off). An update saying `cancelled` counts as
// a failure (its reason is kept).
//
// Open loop (--rate R): order k is due at start + k/R whatever the services
// do; a placement that finds every connection busy waits, and its latency
// counts from when it was due, so a stall is not hidden. Closed loop
// (--in-flight K, the maximum): at most K orders are on their way (placed and
// not yet done) at any time; a new one is placed the moment one is done.
//
// After the last placement the tool waits (up to --timeout) for every order to
// be done, then, with --tracked and --until confirmed, checks the stock: on
// each tracked product the reservations grew by exactly the orders of this
// run that hold it.
//
// Figures: done_per_s (orders done inside the placing window / its length),
// placed_per_s, latency due -> done (p50/p99/p99.9), the same from the POST's
// answer, the POST's own latency, counts of every kind of failure.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/ws_client.hpp>

#include "lib/bench_args.hpp"
#include "lib/keepalive_http.hpp"
#include "lib/latency_histogram.hpp"

namespace orders::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}
std::int64_t MicrosBetween(std::int64_t from_ns, std::int64_t to_ns) { return (to_ns - from_ns) / 1000; }

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

struct OrderSlot {
  std::string id;
  int pair = 0;                            // its products: <prefix><2*pair> (tracked) and <prefix><2*pair+1>
  std::atomic<std::int64_t> due_ns{0};     // when it was due to be placed (0: never placed)
  std::atomic<std::int64_t> placed_ns{0};  // when the POST was answered 201
  std::atomic<std::int64_t> done_ns{0};    // when the update in the --until status arrived
  std::atomic<bool> failed{false};         // the POST failed, or the order was cancelled
  std::atomic<bool> settled{false};        // done or failed: whoever sets it first frees its slot
};

class WorkflowLoad {
 public:
  explicit WorkflowLoad(const Args& args)
      : command_port_(static_cast<std::uint16_t>(args.Number("command-port", 8080))),
        notifier_port_(static_cast<std::uint16_t>(args.Number("notifier-port", 8082))),
        until_(args.Get("until", "confirmed")),
        duration_s_(args.Number("duration", 10)),
        rate_(args.Number("rate", 0)),
        in_flight_limit_(static_cast<int>(args.Number("in-flight", 64))),
        connections_(static_cast<int>(args.Number("connections", 32))),
        product_pairs_(std::max(1, static_cast<int>(args.Number("products", 200)) / 2)),
        tracked_(args.Has("tracked")),
        stock_(static_cast<std::int64_t>(args.Number("stock", 100'000'000))),
        timeout_s_(args.Number("timeout", 30)),
        customer_(args.Get("customer", "wfb-" + std::to_string(::getpid()) + "-" + platform::NewUuid().substr(0, 8))),
        product_prefix_(args.Get("product-prefix", "wfb-" + platform::NewUuid().substr(0, 8) + "-")),
        token_(Env("ORDERS_TOKEN")) {
    // Open loop: exactly the orders due in the window; closed loop: as many as it gets through.
    const auto count = rate_ > 0 ? static_cast<std::size_t>(rate_ * duration_s_)
                                 : static_cast<std::size_t>(args.Number("max-orders", 200000));
    orders_ = std::vector<OrderSlot>(std::max<std::size_t>(count, 1));
    for (std::size_t i = 0; i < orders_.size(); ++i) {
      orders_[i].id = platform::NewUuid();
      orders_[i].pair = static_cast<int>(i % static_cast<std::size_t>(product_pairs_));
      index_[orders_[i].id] = static_cast<int>(i);
    }
  }

  json Run() {
    if (until_ != "confirmed" && until_ != "placed") return Failure("--until must be confirmed or placed");
    if (tracked_ && !SetStock()) return Failure("could not set the stock: " + error_);
    if (!Subscribe()) return Failure("could not subscribe: " + error_);
    reader_ = std::thread([this] { ReadUpdates(); });
    Place();
    WaitForTheRest();
    stop_ = true;
    reader_.join();
    return Report();
  }

 private:
  std::string Product(int n) const { return product_prefix_ + std::to_string(n); }

  std::string Body(const OrderSlot& order) const {
    return json{{"orderId", order.id},
                {"customerId", customer_},
                {"items",
                 {{{"productId", Product(2 * order.pair)}, {"quantity", 1}, {"unitPriceCents", 500}},
                  {{"productId", Product(2 * order.pair + 1)}, {"quantity", 1}, {"unitPriceCents", 250}}}}}
        .dump();
  }

  json Failure(const std::string& why) {
    std::fprintf(stderr, "orders_workflow_load: %s\n", why.c_str());
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    return json{{"error", why}};
  }

  // Stock on the even products, then each read back until the command
  // service's book holds it: an order placed before its product is tracked
  // would need no reservation, and the stock check would fail.
  bool SetStock() {
    KeepAliveHttp http(command_port_, token_);
    for (int pair = 0; pair < product_pairs_; ++pair) {
      const std::string path = "/inventory/" + Product(2 * pair);
      // A service that has just become ready may still be taking over the inventory stream (503): retry.
      auto answer = http.Send("PUT", path, json{{"onHand", stock_}}.dump());
      for (const auto deadline = Clock::now() + std::chrono::seconds(15);
           answer.status == 503 && Clock::now() < deadline;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        answer = http.Send("PUT", path, json{{"onHand", stock_}}.dump());
      }
      const auto body = json::parse(answer.body, nullptr, false);
      if (answer.status != 200 || !body.is_object()) {
        error_ = "PUT " + path + " answered " + std::to_string(answer.status) + " " + answer.body.substr(0, 200);
        return false;
      }
      const auto version = body.value("version", 0);
      for (const auto deadline = Clock::now() + std::chrono::seconds(10);;
           std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
        const auto read = http.Send("GET", path);
        const auto state = json::parse(read.body, nullptr, false);
        if (read.status == 200 && state.is_object() && state.value("version", 0) >= version) {
          reserved_before_[pair] = state.value("reserved", std::int64_t{0});
          break;
        }
        if (Clock::now() > deadline) {
          error_ = "GET " + path + " never showed the stock just set";
          return false;
        }
      }
    }
    return true;
  }

  bool Subscribe() {
    const int status = ws_.Connect(notifier_port_, "/ws", {{"Authorization", "Bearer " + token_}});
    if (status != 101) {
      error_ = "WebSocket upgrade answered " + std::to_string(status);
      return false;
    }
    ws_.SendText(json{{"type", "subscribe"}, {"customerId", customer_}}.dump());
    for (const auto deadline = Clock::now() + std::chrono::seconds(10); Clock::now() < deadline;) {
      const auto message = ws_.ReceiveJson(std::chrono::milliseconds(500));
      if (!message.is_object()) continue;
      if (message.value("type", "") == "snapshot" && message.value("last", true)) return true;
      if (message.value("type", "") == "error") {
        error_ = message.dump();
        return false;
      }
    }
    error_ = "no snapshot within 10 s";
    return false;
  }

  void ReadUpdates() {
    while (!stop_) {
      const auto text = ws_.Receive(std::chrono::milliseconds(50));
      if (!text) {
        if (ws_.closed()) {
          subscriber_closed_ = true;
          Wake();
          return;
        }
        continue;
      }
      const auto now = NowNanos();
      const auto message = json::parse(*text, nullptr, false);
      if (!message.is_object() || message.value("type", "") != "update") continue;
      const auto found = index_.find(message.value("orderId", ""));
      if (found == index_.end()) continue;
      auto& order = orders_[static_cast<std::size_t>(found->second)];
      const std::string status = message.value("status", "");
      const bool cancelled = status == "cancelled";
      const bool done = until_ == "placed" ? message.value("event", "") == "order.placed" : status == until_;
      if ((!cancelled && !done) || order.settled.exchange(true)) continue;
      if (cancelled) {
        order.failed = true;
        ++cancelled_;
        NoteFailure("cancelled: " + message.value("reason", std::string("(no reason)")));
        Finished();
        continue;
      }
      order.done_ns = now;
      ++done_;
      Finished();
    }
  }

  // One order is no longer on its way: a closed-loop placer may send the next.
  void Finished() {
    {
      std::lock_guard lock(mutex_);
      --in_flight_;
    }
    Wake();
  }
  void Wake() { slot_free_.notify_all(); }

  void Place() {
    start_ns_ = NowNanos();
    const auto end_ns = start_ns_ + static_cast<std::int64_t>(duration_s_ * 1e9);
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> placers;
    for (int c = 0; c < connections_; ++c) {
      placers.emplace_back([&] {
        KeepAliveHttp http(command_port_, token_);
        LatencyHistogram post;
        while (!stop_ && !subscriber_closed_) {
          if (rate_ <= 0 && !TakeSlot(end_ns)) break;
          const auto i = next++;
          if (i >= orders_.size() || (rate_ <= 0 && NowNanos() >= end_ns)) {
            if (rate_ <= 0) Finished();  // the slot it took stays unused
            break;
          }
          auto& order = orders_[i];
          std::int64_t due = NowNanos();
          if (rate_ > 0) {
            due = start_ns_ + static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate_);
            // One sleep to the due time: polling from every placer thread would cost the services CPU.
            if (const auto wait = due - NowNanos(); wait > 0)
              std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
            std::lock_guard lock(mutex_);
            ++in_flight_;
          }
          order.due_ns = due;
          const auto answer = http.Send("POST", "/orders", Body(order));
          const auto answered = NowNanos();
          post.Record(MicrosBetween(due, answered));
          if (answer.status == 201) {
            order.placed_ns = answered;
            continue;
          }
          ++post_errors_;
          NoteFailure("POST /orders answered " + std::to_string(answer.status) + " " + answer.body.substr(0, 200));
          if (!order.settled.exchange(true)) {
            order.failed = true;
            Finished();
          }
        }
        std::lock_guard lock(mutex_);
        post_.Merge(post);
      });
    }
    for (auto& placer : placers) placer.join();
    placed_until_ns_ = NowNanos();
  }

  // Closed loop: waits for room among the orders on their way and takes it;
  // false once the window is over (or the subscription is gone).
  bool TakeSlot(std::int64_t end_ns) {
    std::unique_lock lock(mutex_);
    while (in_flight_ >= in_flight_limit_) {
      if (NowNanos() >= end_ns || subscriber_closed_) return false;
      slot_free_.wait_for(lock, std::chrono::milliseconds(100));
    }
    ++in_flight_;
    return true;
  }

  // Until every order placed is done or failed (or the timeout).
  void WaitForTheRest() {
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s_);
    std::unique_lock lock(mutex_);
    while (in_flight_ > 0 && !subscriber_closed_) {
      if (slot_free_.wait_until(lock, deadline) == std::cv_status::timeout && in_flight_ > 0) {
        timed_out_ = true;
        return;
      }
    }
  }

  void NoteFailure(const std::string& text) {
    std::lock_guard lock(failures_mutex_);
    if (failure_samples_.size() < 5) failure_samples_.push_back(text);
  }

  // With --tracked, when waiting for confirmations: on each tracked product,
  // reservations grew by this run's orders on it. (Placements alone say
  // nothing about reservations, which come after them.)
  json CheckStock(std::int64_t placed) {
    if (!tracked_ || until_ != "confirmed") return nullptr;
    std::map<int, std::int64_t> expected;
    for (const auto& order : orders_) {
      if (order.placed_ns.load() != 0) ++expected[order.pair];
    }
    KeepAliveHttp http(command_port_, token_);
    int checked = 0, mismatched = 0;
    std::int64_t reserved = 0;
    for (const auto& [pair, before] : reserved_before_) {
      const auto answer = http.Send("GET", "/inventory/" + Product(2 * pair));
      const auto state = json::parse(answer.body, nullptr, false);
      ++checked;
      const auto now = answer.status == 200 && state.is_object() ? state.value("reserved", std::int64_t{-1}) : -1;
      reserved += now - before;
      if (now - before != expected[pair]) ++mismatched;
    }
    return {{"tracked_products", checked},
            {"products_whose_reservations_differ", mismatched},
            {"reservations_made", reserved},
            {"orders_placed", placed},
            {"ok", mismatched == 0}};
  }

  json Report() {
    LatencyHistogram from_due, from_answer;
    std::int64_t placed = 0, done_in_window = 0, missing = 0;
    for (const auto& order : orders_) {
      const auto due = order.due_ns.load(), answered = order.placed_ns.load(), done = order.done_ns.load();
      if (answered != 0) ++placed;
      if (due == 0 || order.failed.load()) continue;
      if (done == 0) {
        ++missing;
        continue;
      }
      if (done <= placed_until_ns_) ++done_in_window;
      from_due.Record(MicrosBetween(due, done));
      if (answered != 0) from_answer.Record(MicrosBetween(answered, done));
    }
    const double window_s = static_cast<double>(placed_until_ns_ - start_ns_) / 1e9;
    const auto stock = CheckStock(placed);
    const bool ok = post_errors_ == 0 && cancelled_ == 0 && missing == 0 && !timed_out_ && !subscriber_closed_ &&
                    (stock.is_null() || stock.at("ok").get<bool>());
    return {{"until", until_},
            {"mode", rate_ > 0 ? "open" : "closed"},
            {"offered_per_s", rate_},
            {"in_flight_limit", rate_ > 0 ? json(nullptr) : json(in_flight_limit_)},
            {"connections", connections_},
            {"products", 2 * product_pairs_},
            {"product_prefix", product_prefix_},
            {"tracked_products", tracked_ ? product_pairs_ : 0},
            {"customer", customer_},
            {"window_s", window_s},
            {"orders_placed", placed},
            {"orders_done", done_.load()},
            {"orders_cancelled", cancelled_.load()},
            {"orders_never_done", missing},
            {"post_errors", post_errors_.load()},
            {"failure_samples", failure_samples_},
            {"placed_per_s", window_s > 0 ? static_cast<double>(placed) / window_s : 0.0},
            {"done_per_s", window_s > 0 ? static_cast<double>(done_in_window) / window_s : 0.0},
            {"latency", from_due.Summary()},
            {"latency_after_answer", from_answer.Summary()},
            {"post_latency", post_.Summary()},
            {"stock_check", stock},
            {"subscriber_closed", subscriber_closed_.load()},
            {"timed_out", timed_out_},
            {"ok", ok}};
  }

  std::uint16_t command_port_, notifier_port_;
  std::string until_;
  double duration_s_, rate_;
  int in_flight_limit_, connections_, product_pairs_;
  bool tracked_;
  std::int64_t stock_;
  double timeout_s_;
  std::string customer_, product_prefix_, token_, error_;
  std::vector<OrderSlot> orders_;
  std::unordered_map<std::string, int> index_;   // order id -> slot (complete before the reader starts)
  std::map<int, std::int64_t> reserved_before_;  // tracked product pair -> its reservations before the run
  testing::WsClient ws_;
  std::thread reader_;
  std::atomic<bool> stop_{false}, subscriber_closed_{false};
  std::atomic<std::int64_t> done_{0}, cancelled_{0}, post_errors_{0};
  std::mutex mutex_;  // in_flight_, post_
  std::condition_variable slot_free_;
  int in_flight_ = 0;  // placed (or being placed) and neither done nor failed
  LatencyHistogram post_;
  std::int64_t start_ns_ = 0, placed_until_ns_ = 0;
  bool timed_out_ = false;
  std::mutex failures_mutex_;
  std::vector<std::string> failure_samples_;
};

}  // namespace
}  // namespace orders::bench

int main(int argc, char** argv) {
  const orders::bench::Args args(argc, argv);
  orders::bench::WorkflowLoad load(args);
  auto report = load.Run();
  report["label"] = args.Get("label", "workflow");
  orders::bench::Emit(report, args);
  if (report.contains("error")) return 1;
  return report.at("ok").get<bool>() ? 0 : 1;
}

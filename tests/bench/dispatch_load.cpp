// orders_dispatch_load: couriers racing for open deliveries (the `dispatch`
// phase of ./infra/bench.sh).
//
//   --command-port P --notifier-port P [--couriers 50] [--orders 2000] [--rate R]
//   [--staff 8] [--accept-via rest|ws] [--timeout S] [--json FILE] [--label NAME]
//
// Tokens: each courier gets its own (role courier, sub c-<i>), signed with
// $JWT_SECRET; placing and confirming use $ORDERS_TOKEN (a service token).
//
// Every courier keeps a WebSocket to the notifier subscribed with
// {"type":"subscribe","openDeliveries":true}. The tool places --orders orders
// (pending, not measured), then the staff clients confirm them: at --rate
// orders/s (open loop: order k is due at start + k/R, and its latencies count
// from when it was due), or as fast as they can without --rate (the maximum).
// A confirmed order is open for delivery; the moment a courier's feed shows
// it, that courier accepts it (PUT /orders/{id}/courier, or with --accept-via
// ws the `acceptDelivery` command on the same socket). All of them race; one
// must win and the others get 409. Over REST a courier has one accept waiting
// at a time (a second thread sends them, so reading the feed never waits);
// over the WebSocket up to 4 and at most 20 messages a second, what the
// notifier allows a connection (the rest wait in the client, so above about
// 20 orders/s a courier cannot race for every order over its socket). Accept
// latency counts from sending to the answer.
//
// Figures: accepted_per_s (orders won per second, from the first order due to
// the last win), accept latency (every answered accept, and the winners'),
// feed latency (order due to be confirmed -> the update in a courier's feed:
// every (order, courier) pair, and per order the last courier to see it; and
// the same from the confirmation's answer, when the order is confirmed),
// confirm latency, and the winner check: per order the number of couriers
// answered 200 must be exactly 1, and the order as the command API returns it
// afterwards (GET) must name that courier.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/platform/jwt.hpp>
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

std::string CourierToken(const std::string& secret, const std::string& courier) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       (std::chrono::system_clock::now() + std::chrono::hours(12)).time_since_epoch())
                       .count();
  return platform::SignToken(json{{"sub", courier}, {"role", "courier"}, {"exp", exp}}.dump(), secret);
}

void AtomicMax(std::atomic<std::int64_t>& target, std::int64_t value) {
  auto current = target.load();
  while (value > current && !target.compare_exchange_weak(current, value)) {
  }
}

struct OrderSlot {
  std::string id;
  std::atomic<std::int64_t> due_ns{0};        // when its confirmation was due (0: not yet)
  std::atomic<std::int64_t> confirmed_ns{0};  // when the confirmation was answered 200
  std::atomic<int> seen_by{0};                // couriers whose feed showed it open
  std::atomic<int> winners{0};                // couriers answered 200 to their accept
  std::atomic<int> winner{-1};                // the (last) one of them
};

// The order an update is about, and whether it says the order is open now.
struct FeedEntry {
  std::string order_id;
  bool open = false;
};

FeedEntry ReadFeedMessage(const json& message) {
  if (!message.is_object() || message.value("type", "") != "update") return {};
  const json& order = message.contains("order") && message["order"].is_object() ? message["order"] : message;
  const std::string status = order.value("status", message.value("status", ""));
  const auto courier = order.contains("courierId") ? order["courierId"] : message.value("courierId", json());
  FeedEntry entry;
  entry.order_id = order.value("orderId", message.value("orderId", ""));
  entry.open = (status == "confirmed" || status == "processing") && courier.is_null();
  return entry;
}

// What the notifier allows one connection (notifier/include/orders/notifier/hub.hpp):
// commands waiting for an answer, and client messages per second (a message
// over it is refused without naming its requestId, so a client must not send it).
constexpr int kMaxCommandsInFlight = 4;
constexpr double kMessagesPerSecond = 20, kMessageBurst = 30;  // the notifier's burst is 40: leave room

class Dispatch {
 public:
  explicit Dispatch(const Args& args)
      : command_port_(static_cast<std::uint16_t>(args.Number("command-port", 8080))),
        notifier_port_(static_cast<std::uint16_t>(args.Number("notifier-port", 8082))),
        couriers_(static_cast<int>(args.Number("couriers", 50))),
        order_count_(static_cast<int>(args.Number("orders", 2000))),
        staff_(static_cast<int>(args.Number("staff", 8))),
        rate_(args.Number("rate", 0)),
        timeout_s_(args.Number("timeout", 120)),
        accept_via_ws_(args.Get("accept-via", "rest") == "ws"),
        staff_token_(Env("ORDERS_TOKEN")),
        secret_(Env("JWT_SECRET")),
        orders_(static_cast<std::size_t>(order_count_)) {}

  json Run() {
    if (secret_.empty()) return Failure("JWT_SECRET is not set: courier tokens cannot be signed");
    if (!ConnectCouriers()) return Failure("couriers could not subscribe to openDeliveries: " + error_);
    if (!PlaceOrders()) return Failure("could not place the orders: " + error_);
    StartCouriers();
    Open();
    WaitForTheRace();
    stop_ = true;
    for (auto& courier : courier_states_) courier->Wake();
    for (auto& thread : threads_) thread.join();
    return Report();
  }

 private:
  struct CourierState {
    std::string id, token;
    testing::WsClient ws;
    std::vector<std::int64_t> seen_ns;  // per order: when its feed showed it open (0: not yet)
    LatencyHistogram accept, won;
    std::int64_t conflicts = 0, errors = 0;
    // REST accepts are made by a second thread, so reading the feed never waits for an answer.
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<int> to_accept;
    std::unordered_map<std::string, std::int64_t> sent_ns;  // requestId (the order's slot) -> when sent
    std::deque<int> ws_waiting;                             // ws: accepts not sent yet (the reader thread's own)
    int ws_in_flight = 0;
    double ws_budget = 0;  // messages it may send now (kMessagesPerSecond, up to kMessageBurst)
    Clock::time_point ws_refilled = Clock::now();
    void Wake() { wake.notify_all(); }
  };

  json Failure(const std::string& why) {
    std::fprintf(stderr, "orders_dispatch_load: %s\n", why.c_str());
    stop_ = true;
    for (auto& courier : courier_states_) courier->Wake();
    for (auto& thread : threads_) thread.join();
    return json{{"error", why}};
  }

  bool ConnectCouriers() {
    std::atomic<int> ready{0};
    for (int i = 0; i < couriers_; ++i) {
      auto courier = std::make_unique<CourierState>();
      courier->id = "c-" + std::to_string(i + 1);
      courier->token = CourierToken(secret_, courier->id);
      courier->seen_ns.assign(orders_.size(), 0);
      const int status = courier->ws.Connect(notifier_port_, "/ws", {{"Authorization", "Bearer " + courier->token}});
      if (status != 101) {
        error_ = "WebSocket upgrade answered " + std::to_string(status);
        return false;
      }
      courier->ws.SendText(R"({"type":"subscribe","openDeliveries":true})");
      // The snapshot comes first: read it up to its last page.
      for (const auto deadline = Clock::now() + std::chrono::seconds(10); Clock::now() < deadline;) {
        const auto message = courier->ws.ReceiveJson(std::chrono::milliseconds(500));
        if (message.is_object() && message.value("type", "") == "snapshot" && message.value("last", true)) {
          ++ready;
          break;
        }
        if (message.is_object() && message.value("type", "") == "error") {
          error_ = message.dump();
          return false;
        }
      }
      courier_states_.push_back(std::move(courier));
    }
    if (ready.load() != couriers_) {
      error_ = std::to_string(couriers_ - ready.load()) + " couriers got no snapshot";
      return false;
    }
    return true;
  }

  // After the placements: the feed readers look orders up in index_, which is complete by then.
  void StartCouriers() {
    for (int i = 0; i < couriers_; ++i) {
      threads_.emplace_back([this, i] { ReadFeed(*courier_states_[static_cast<std::size_t>(i)], i); });
      if (!accept_via_ws_) {
        threads_.emplace_back([this, i] { AcceptOverRest(*courier_states_[static_cast<std::size_t>(i)], i); });
      }
    }
  }

  bool PlaceOrders() {
    std::atomic<int> next{0}, failed{0};
    std::vector<std::thread> placers;
    for (int s = 0; s < staff_; ++s) {
      placers.emplace_back([&] {
        KeepAliveHttp http(command_port_, staff_token_);
        for (int i; (i = next++) < order_count_;) {
          const auto answer = http.Send(
              "POST", "/orders",
              R"({"customerId":"dispatch-bench","items":[{"productId":"sku-1","quantity":1,"unitPriceCents":500}]})");
          if (answer.status != 201) {
            ++failed;
            continue;
          }
          orders_[static_cast<std::size_t>(i)].id = json::parse(answer.body).value("orderId", "");
        }
      });
    }
    for (auto& placer : placers) placer.join();
    if (failed > 0) {
      error_ = std::to_string(failed.load()) + " placements failed";
      return false;
    }
    for (std::size_t i = 0; i < orders_.size(); ++i) index_[orders_[i].id] = static_cast<int>(i);
    return true;
  }

  // The staff clients confirm the orders: paced (open loop) or as fast as they can.
  void Open() {
    start_ns_ = NowNanos();
    std::atomic<int> next{0};
    std::vector<std::thread> staff;
    for (int s = 0; s < staff_; ++s) {
      staff.emplace_back([&, s] {
        KeepAliveHttp http(command_port_, staff_token_);
        LatencyHistogram confirm;
        for (int i; (i = next++) < order_count_ && !stop_;) {
          auto& order = orders_[static_cast<std::size_t>(i)];
          std::int64_t due = NowNanos();
          if (rate_ > 0) {
            due = start_ns_ + static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate_);
            while (NowNanos() < due) std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
          order.due_ns = due;
          const auto answer = http.Send("PUT", "/orders/" + order.id + "/status", R"({"status":"confirmed"})");
          if (answer.status == 200) {
            order.confirmed_ns = NowNanos();
            confirm.Record(MicrosBetween(due, order.confirmed_ns));
          } else {
            ++confirm_errors_;
          }
        }
        std::lock_guard lock(mutex_);
        confirm_.Merge(confirm);
        (void)s;
      });
    }
    for (auto& thread : staff) thread.join();
    opened_ns_ = NowNanos();
  }

  // Until every order has a winner and every courier saw every order open (or the timeout).
  void WaitForTheRace() {
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s_);
    while (Clock::now() < deadline) {
      bool done = accepts_in_flight_.load() == 0;
      for (const auto& order : orders_) {
        if (!done) break;
        done = order.winners.load() >= 1 && order.seen_by.load() >= couriers_;
      }
      if (done) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    timed_out_ = true;
  }

  void ReadFeed(CourierState& courier, int courier_index) {
    while (!stop_) {
      if (accept_via_ws_) SendWaitingCommands(courier);  // those the message budget held back
      const auto text = courier.ws.Receive(std::chrono::milliseconds(courier.ws_waiting.empty() ? 50 : 5));
      if (!text) {
        if (courier.ws.closed()) {
          ++feed_closed_;
          return;
        }
        continue;
      }
      const auto now = NowNanos();
      const auto message = json::parse(*text, nullptr, false);
      if (accept_via_ws_ && message.is_object() &&
          (message.value("type", "") == "result" || message.value("type", "") == "error")) {
        // An error names the command it refused (e.g. rate_limited): answered, not won.
        const int status = message.value("type", "") == "result" ? message.value("status", 0) : -1;
        if (status != 200 && status != 409) NoteError(*text);
        if (Answered(courier, courier_index, message.value("requestId", ""), status, now)) --courier.ws_in_flight;
        SendWaitingCommands(courier);
        continue;
      }
      const auto entry = ReadFeedMessage(message);
      if (!entry.open) continue;
      const auto found = index_.find(entry.order_id);
      if (found == index_.end() || courier.seen_ns[static_cast<std::size_t>(found->second)] != 0) continue;
      const int i = found->second;
      auto& order = orders_[static_cast<std::size_t>(i)];
      courier.seen_ns[static_cast<std::size_t>(i)] = now;
      ++order.seen_by;
      ++accepts_in_flight_;
      if (accept_via_ws_) {
        courier.ws_waiting.push_back(i);
        SendWaitingCommands(courier);
      } else {
        std::lock_guard lock(courier.mutex);
        courier.to_accept.push_back(i);
        courier.wake.notify_one();
      }
    }
  }

  // A well-behaved client keeps at most kMaxCommandsInFlight commands waiting
  // on its socket (the notifier refuses more, per connection); the rest wait here.
  void SendWaitingCommands(CourierState& courier) {
    const auto now = Clock::now();
    courier.ws_budget = std::min(
        kMessageBurst,
        courier.ws_budget + kMessagesPerSecond * std::chrono::duration<double>(now - courier.ws_refilled).count());
    courier.ws_refilled = now;
    while (courier.ws_in_flight < kMaxCommandsInFlight && !courier.ws_waiting.empty() && courier.ws_budget >= 1) {
      courier.ws_budget -= 1;
      const int i = courier.ws_waiting.front();
      courier.ws_waiting.pop_front();
      const std::string request_id = std::to_string(i);
      {
        std::lock_guard lock(courier.mutex);
        courier.sent_ns[request_id] = NowNanos();
      }
      ++courier.ws_in_flight;
      courier.ws.SendText(json{{"type", "command"},
                               {"requestId", request_id},
                               {"name", "acceptDelivery"},
                               {"args", {{"orderId", orders_[static_cast<std::size_t>(i)].id}}}}
                              .dump());
    }
  }

  void AcceptOverRest(CourierState& courier, int courier_index) {
    KeepAliveHttp http(command_port_, courier.token);
    const auto body = json{{"courierId", courier.id}}.dump();
    while (true) {
      int i;
      {
        std::unique_lock lock(courier.mutex);
        courier.wake.wait(lock, [&] { return stop_ || !courier.to_accept.empty(); });
        if (courier.to_accept.empty()) return;
        i = courier.to_accept.front();
        courier.to_accept.pop_front();
        courier.sent_ns[std::to_string(i)] = NowNanos();
      }
      const auto answer = http.Send("PUT", "/orders/" + orders_[static_cast<std::size_t>(i)].id + "/courier", body);
      if (answer.status != 200 && answer.status != 409) NoteError(std::to_string(answer.status) + " " + answer.body);
      Answered(courier, courier_index, std::to_string(i), answer.status, NowNanos());
    }
  }

  // Keeps the first few unexpected answers, for the report.
  void NoteError(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (error_samples_.size() < 5) error_samples_.push_back(text.substr(0, 300));
  }

  // False when `request_id` names no accept waiting for its answer.
  bool Answered(CourierState& courier, int courier_index, const std::string& request_id, int status, std::int64_t now) {
    std::int64_t sent;
    {
      std::lock_guard lock(courier.mutex);
      const auto it = courier.sent_ns.find(request_id);
      if (it == courier.sent_ns.end()) {
        if (status != 200 && status != 409) ++courier.errors;  // an error about no accept of ours
        return false;
      }
      sent = it->second;
      courier.sent_ns.erase(it);
    }
    auto& order = orders_[static_cast<std::size_t>(std::stoi(request_id))];
    courier.accept.Record(MicrosBetween(sent, now));
    if (status == 200) {
      courier.won.Record(MicrosBetween(sent, now));
      ++order.winners;
      order.winner = courier_index;
      AtomicMax(last_win_ns_, now);
    } else if (status == 409) {
      ++courier.conflicts;
    } else {
      ++courier.errors;
    }
    --accepts_in_flight_;
    return true;
  }

  // The command API's word on who has each order.
  json VerifyWinners() {
    int exactly_one = 0, none = 0, several = 0, mismatched = 0, unreadable = 0;
    KeepAliveHttp http(command_port_, staff_token_);
    for (const auto& order : orders_) {
      const int winners = order.winners.load();
      if (winners == 0) ++none;
      if (winners > 1) ++several;
      if (winners != 1) continue;
      ++exactly_one;
      const auto answer = http.Send("GET", "/orders/" + order.id);
      const auto body = json::parse(answer.body, nullptr, false);
      if (answer.status != 200 || !body.is_object()) {
        ++unreadable;
        continue;
      }
      const auto& expected = courier_states_[static_cast<std::size_t>(order.winner.load())]->id;
      if (body.value("courierId", json()) != json(expected)) ++mismatched;
    }
    const bool ok = exactly_one == order_count_ && mismatched == 0 && unreadable == 0;
    return {{"orders_with_exactly_one_winner", exactly_one},
            {"orders_without_winner", none},
            {"orders_with_several_winners", several},
            {"winner_not_the_orders_courier", mismatched},
            {"orders_unreadable", unreadable},
            {"exactly_one_winner_per_order", ok}};
  }

  json Report() {
    LatencyHistogram accept, won;
    std::int64_t conflicts = 0, errors = 0;
    for (const auto& courier : courier_states_) {
      accept.Merge(courier->accept);
      won.Merge(courier->won);
      conflicts += courier->conflicts;
      errors += courier->errors;
    }
    // Feed latency, from when the confirmation was due and from when it was
    // answered (the order is confirmed; a feed may show it before the staff
    // client has read its answer: that counts as 0). Per pair, and per order
    // the last courier to see it.
    LatencyHistogram from_due, from_due_every, from_confirmed, from_confirmed_every;
    int seen_by_all = 0;
    for (std::size_t i = 0; i < orders_.size(); ++i) {
      const auto due = orders_[i].due_ns.load(), confirmed = orders_[i].confirmed_ns.load();
      std::int64_t last = 0;
      bool everyone = due > 0 && confirmed > 0;
      for (const auto& courier : courier_states_) {
        const auto seen = courier->seen_ns[i];
        if (seen == 0 || due == 0 || confirmed == 0) {
          everyone = false;
          continue;
        }
        from_due.Record(MicrosBetween(due, seen));
        from_confirmed.Record(MicrosBetween(confirmed, seen));
        last = std::max(last, seen);
      }
      if (!everyone) continue;
      ++seen_by_all;
      from_due_every.Record(MicrosBetween(due, last));
      from_confirmed_every.Record(MicrosBetween(confirmed, last));
    }
    const double win_span_s = static_cast<double>(last_win_ns_.load() - start_ns_) / 1e9;
    const double open_span_s = static_cast<double>(opened_ns_ - start_ns_) / 1e9;
    const auto winners = VerifyWinners();
    std::int64_t won_orders =
        winners.at("orders_with_exactly_one_winner").get<int>() + winners.at("orders_with_several_winners").get<int>();
    return {{"couriers", couriers_},
            {"orders", order_count_},
            {"accept_via", accept_via_ws_ ? "ws" : "rest"},
            {"offered_open_per_s", rate_},
            {"open_per_s", open_span_s > 0 ? order_count_ / open_span_s : 0.0},
            {"accepted_per_s", win_span_s > 0 ? static_cast<double>(won_orders) / win_span_s : 0.0},
            {"accept_latency", accept.Summary()},
            {"winning_accept_latency", won.Summary()},
            {"feed_latency", from_due.Summary()},
            {"feed_latency_every_courier", from_due_every.Summary()},
            {"feed_after_confirmed_latency", from_confirmed.Summary()},
            {"feed_after_confirmed_every_courier", from_confirmed_every.Summary()},
            {"confirm_latency", confirm_.Summary()},
            {"accepts_answered", accept.count()},
            {"conflicts", conflicts},
            {"accept_errors", errors},
            {"accept_error_samples", error_samples_},
            {"confirm_errors", confirm_errors_.load()},
            {"orders_seen_by_every_courier", seen_by_all},
            {"feeds_closed", feed_closed_.load()},
            {"timed_out", timed_out_},
            {"winners", winners}};
  }

  std::uint16_t command_port_, notifier_port_;
  int couriers_, order_count_, staff_;
  double rate_, timeout_s_;
  bool accept_via_ws_;
  std::string staff_token_, secret_, error_;
  std::vector<OrderSlot> orders_;
  std::unordered_map<std::string, int> index_;  // order id -> slot (written before the couriers read it)
  std::vector<std::unique_ptr<CourierState>> courier_states_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepts_in_flight_{0}, feed_closed_{0}, confirm_errors_{0};
  std::atomic<std::int64_t> last_win_ns_{0};
  std::int64_t start_ns_ = 0, opened_ns_ = 0;
  bool timed_out_ = false;
  std::mutex mutex_;
  LatencyHistogram confirm_;
  std::vector<std::string> error_samples_;
};

}  // namespace
}  // namespace orders::bench

int main(int argc, char** argv) {
  const orders::bench::Args args(argc, argv);
  orders::bench::Dispatch dispatch(args);
  auto report = dispatch.Run();
  report["label"] = args.Get("label", "dispatch");
  orders::bench::Emit(report, args);
  if (report.contains("error")) return 1;
  return report.at("winners").at("exactly_one_winner_per_order").get<bool>() ? 0 : 1;
}

#pragma once
// Keeps commands flowing into the command service during a fault scenario and
// records every command it got a 2xx for (the "acknowledged" commands the
// invariant checker looks for in the log).
//
// A pool of orders, all of one customer, walks forward through the lifecycle
// one step per command (sometimes a cancellation), each PUT with If-Match. A
// few "slow" orders advance only every so often, so they live through the
// whole scenario and their subscribers see versions before, during and after
// the fault. A finished order is replaced by a new POST. Whatever did not get
// a clear answer (503, timeout, connection refused) is re-read with GET once
// the service answers again: the command service is authoritative.
//
// While the service is down (its port reads 0) commands still go out, to the
// port it had: they are refused, which is the point — the load sees the
// outage. Every answer is kept with the time its request started, so a
// scenario can tell what was in flight at a fault and what was acknowledged
// after it.

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <optional>

#include <orders/invariants/checker.hpp>
#include <orders/testing/http_client.hpp>

namespace orders::testing {

class LoadDriver {
 public:
  struct Options {
    std::string customer_id = "fault-customer";
    int workers = 3;  // threads, each walking its own share of the active orders
    int active_orders = 21;
    int slow_orders = 4;
    std::chrono::milliseconds slow_step_every{250};  // one slow order advances this often
    std::chrono::milliseconds pause{5};              // between commands
  };
  using Clock = std::chrono::steady_clock;
  struct Answer {
    Clock::time_point started, ended;
    int status = 0;  // 0: no answer (refused, reset or timed out)
    std::uint16_t port = 0;
    bool post = false;
    bool read = false;  // a GET re-reading an order after an unclear answer (not a command)
  };
  struct Stats {
    std::int64_t sent = 0, acknowledged = 0, unavailable = 0, conflicts = 0, other = 0;
    std::int64_t unclear = 0;                    // no answer at all (a subset of unavailable)
    std::int64_t resynced = 0;                   // walks re-read with GET after an unclear answer
    std::int64_t post_not_created = 0;           // POSTs answered neither 201 nor 503 / nothing
    std::int64_t conflicts_without_unclear = 0;  // 409/412 on a walk that had no unclear answer
    std::map<std::uint16_t, std::int64_t> acknowledged_by_port;
    std::vector<double> unavailable_ms;  // how long each "503 Service Unavailable" took to come
    std::vector<Answer> answers;         // every answer, in the order they came
    double Slowest503Ms() const;
    double Median503Ms() const;
    // Acknowledged commands whose request started at or after `from`.
    std::int64_t AcknowledgedSince(Clock::time_point from) const;
    // Requests started before `at` that got no answer: they were in flight at `at`.
    std::int64_t UnansweredStartedBefore(Clock::time_point at) const;
    // First and last time an answer was 503 or nothing (equal when there was none).
    Clock::time_point FirstUnavailable() const;
    Clock::time_point LastUnavailable() const;
    // When the first command started at or after `from` was acknowledged (nullopt: none).
    std::optional<Clock::time_point> FirstAcknowledgedSince(Clock::time_point from) const;
  };

  // `port` names the command service's current port (it changes on restart; 0: down).
  LoadDriver(std::function<std::uint16_t()> port, Options options);
  ~LoadDriver();

  // Places the slow orders (synchronously), then starts the walking threads.
  bool Start();
  void Stop();

  std::vector<std::string> SlowOrders() const { return slow_ids_; }
  std::vector<invariants::Acknowledged> Acknowledged();
  Stats stats();
  std::int64_t acknowledged() const { return acknowledged_count_.load(); }
  // Requests sent and not yet answered, now.
  int in_flight() const { return in_flight_.load(); }

 private:
  struct Walk {
    std::string id;
    std::string status;
    std::int64_t version = 0;
    bool unsure = false;       // the last command got no clear answer
    bool had_unclear = false;  // an unclear answer since the last acknowledgement
  };

  void Run(std::size_t worker);
  bool Place(Walk& walk);
  void Step(Walk& walk, std::mt19937& random);
  bool Resync(Walk& walk);
  void Record(const std::string& id, std::int64_t version, const std::string& status, std::uint16_t port);
  // The service's port, or the one it last had while it is down.
  std::uint16_t Port();
  HttpResponse Send(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                    const std::map<std::string, std::string>& headers, bool post, bool read = false);
  void Pause(std::chrono::milliseconds duration);

  std::function<std::uint16_t()> port_;
  Options options_;
  std::vector<Walk> active_, slow_;
  std::vector<std::string> slow_ids_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint16_t> last_port_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<std::int64_t> acknowledged_count_{0};
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::vector<invariants::Acknowledged> acknowledged_;
  Stats stats_;
};

}  // namespace orders::testing

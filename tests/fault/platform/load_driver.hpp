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

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <orders/invariants/checker.hpp>

namespace orders::testing {

class LoadDriver {
 public:
  struct Options {
    std::string customer_id = "fault-customer";
    int workers = 3;  // threads, each walking its own share of the active orders
    int active_orders = 21;
    int slow_orders = 4;
    std::chrono::milliseconds slow_step_every{1000};  // one slow order advances this often
    std::chrono::milliseconds pause{5};               // between commands
  };
  struct Stats {
    std::int64_t sent = 0, acknowledged = 0, unavailable = 0, conflicts = 0, other = 0;
    std::vector<double> unavailable_ms;  // how long each "503 Service Unavailable" took to come
    double Slowest503Ms() const;
    double Median503Ms() const;
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

 private:
  struct Walk {
    std::string id;
    std::string status;
    std::int64_t version = 0;
    bool unsure = false;  // the last command got no clear answer
  };

  void Run(std::size_t worker);
  bool Place(Walk& walk);
  void Step(Walk& walk, std::mt19937& random);
  bool Resync(Walk& walk);
  void Record(const std::string& id, std::int64_t version, const std::string& status);

  std::function<std::uint16_t()> port_;
  Options options_;
  std::vector<Walk> active_, slow_;
  std::vector<std::string> slow_ids_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::vector<invariants::Acknowledged> acknowledged_;
  Stats stats_;
};

}  // namespace orders::testing

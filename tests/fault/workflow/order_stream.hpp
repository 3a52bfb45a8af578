#pragma once
// The load of the workflow fault scenarios: orders placed over real HTTP by
// several clients, spread over the command-service instances that are up.
//
// Each order gets its orderId and Idempotency-Key from the client, so an
// answer that says nothing about the outcome (no answer: the instance was
// killed; 503: the broker is away, or another instance writes the order's
// partition) is retried with the same id and key on the next instance until
// one answers. A 201 (or 200, a replay) is recorded as acknowledged for the
// invariant checker. A 409 on a retry means an earlier attempt created the
// order (its answer was lost): placed, not acknowledged.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/invariants/checker.hpp>

namespace orders::testing {

class OrderStream {
 public:
  struct Options {
    int orders = 60;
    int clients = 4;
    // Orders per second over all clients; 0: every client places its orders at once
    // (with `clients` == `orders`, all orders race together).
    double per_second = 20;
    // The items of every order: [{"productId","quantity","unitPriceCents"}].
    nlohmann::json items =
        nlohmann::json::array({{{"productId", "sku-untracked"}, {"quantity", 1}, {"unitPriceCents", 1500}}});
  };
  struct Stats {
    std::int64_t placed = 0;       // orders known to exist (201, 200 or 409 after a retry)
    std::int64_t unanswered = 0;   // attempts without an answer
    std::int64_t unavailable = 0;  // attempts answered 503
    std::int64_t other = 0;        // any other answer: a failure of the scenario
  };

  // `ports()`: where the instances that should take orders listen now.
  OrderStream(std::function<std::vector<std::uint16_t>()> ports, Options options);
  ~OrderStream();

  void Start();
  // Waits until every order is placed (or `ceiling` passes); stops the clients either way.
  bool WaitUntilPlaced(std::chrono::seconds ceiling);
  void Stop();

  Stats stats() const;
  std::vector<std::string> PlacedIds() const;
  std::vector<invariants::Acknowledged> Acknowledged() const;
  std::vector<std::string> Surprises() const;
  // How many placements each port answered 2xx: which instances wrote orders.
  std::map<std::uint16_t, int> PlacedByPort() const;

 private:
  void RunClient();
  void Place(int index);

  std::function<std::vector<std::uint16_t>()> ports_;
  Options options_;
  std::string run_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_{0};
  std::chrono::steady_clock::time_point started_{};
  std::vector<std::thread> threads_;

  mutable std::mutex mutex_;
  Stats stats_;
  std::vector<std::string> placed_;
  std::vector<invariants::Acknowledged> acks_;
  std::vector<std::string> surprises_;
  std::map<std::uint16_t, int> placed_by_port_;
};

}  // namespace orders::testing

#pragma once
// The load of the webhook fault scenarios: orders placed over real HTTP by a
// few clients at a steady pace, each then confirmed and moved to processing
// (three events per order, so per-order delivery order can be checked). The
// command service is never the target of these faults: any answer other than
// 201/200 is counted as a surprise, which the scenarios require to be zero.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace orders::testing {

class OrderFlow {
 public:
  OrderFlow(std::uint16_t command_port, double orders_per_second, int clients = 3);
  ~OrderFlow();
  OrderFlow(const OrderFlow&) = delete;
  OrderFlow& operator=(const OrderFlow&) = delete;

  void Start();
  void Stop();  // waits for the orders in progress to finish their three steps

  std::int64_t orders_done() const { return done_.load(); }  // all three steps answered 2xx
  std::vector<std::string> Surprises() const;

 private:
  void RunClient(int client);
  bool Step(const std::string& method, const std::string& path, const std::string& body);

  std::uint16_t port_;
  double per_second_;
  int clients_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_{0};
  std::atomic<std::int64_t> done_{0};
  std::chrono::steady_clock::time_point started_{};
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::vector<std::string> surprises_;
};

}  // namespace orders::testing

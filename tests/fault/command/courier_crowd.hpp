#pragma once
// A dispatch crowd over real HTTP, for the courier race fault scenario: one
// staff client places orders and confirms them (so they become open for
// delivery), and N couriers, each with its own token, race for them. Every
// courier goes for the oldest order it does not yet know to be taken, so all
// of them hit the same order at once. The winner picks it up and delivers it.
//
// Whatever the service answers 2xx is recorded as acknowledged (with the
// courier for a courier's command), for the invariant checker. An answer that
// never comes (the service was killed) leaves the outcome unclear: the client
// retries the same command, which the service answers idempotently (the same
// courier accepting again, the same status again: 200 and no event).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <orders/invariants/checker.hpp>

namespace orders::testing {

class CourierCrowd {
 public:
  struct Options {
    int couriers = 20;
    int orders = 60;
    std::chrono::milliseconds open_every{60};  // the staff client opens one order this often
  };
  struct Stats {
    std::int64_t accepted = 0;     // accepts answered 200 (including repeats after an unclear outcome)
    std::int64_t conflicts = 0;    // accepts answered 409: another courier had it
    std::int64_t unanswered = 0;   // requests that got no answer (killed service, refused connection)
    std::int64_t unavailable = 0;  // requests answered 503
    std::int64_t other = 0;        // any other answer (a failure of the scenario)
    std::int64_t delivered = 0;    // orders delivered by their courier
  };

  // `port()` is where the command service listens now (it changes on a restart).
  CourierCrowd(std::function<std::uint16_t()> port, Options options);
  ~CourierCrowd();

  void Start();
  // Waits until every order is delivered or `ceiling` passes; stops the crowd either way.
  bool WaitUntilDelivered(std::chrono::seconds ceiling);
  void Stop();

  int AcceptsInFlight() const { return accepts_in_flight_.load(); }
  Stats stats() const;
  std::vector<invariants::Acknowledged> Acknowledged() const;
  // order -> the couriers that were answered 200 to their accept of it.
  std::map<std::string, std::set<std::string>> Winners() const;
  std::vector<std::string> OrderIds() const;
  // Answers of the `other` kind, for the failure message.
  std::vector<std::string> Surprises() const;

 private:
  struct Answer;
  Answer Send(const std::string& method, const std::string& path, const std::string& body, const std::string& token,
              const std::string& idempotency_key = {});
  void Record(const Answer& answer, const std::string& courier);
  void OpenOrders();
  void RunCourier(int index);
  bool Accept(const std::string& courier, const std::string& token, const std::string& order);
  void Deliver(const std::string& courier, const std::string& token, const std::string& order);
  bool Stopping() const { return stop_.load(); }

  std::function<std::uint16_t()> port_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepts_in_flight_{0};
  std::vector<std::thread> threads_;

  mutable std::mutex mutex_;
  std::vector<std::string> open_;  // confirmed orders, oldest first
  Stats stats_;
  std::vector<invariants::Acknowledged> acks_;
  std::map<std::string, std::set<std::string>> winners_;
  std::vector<std::string> surprises_;
};

}  // namespace orders::testing

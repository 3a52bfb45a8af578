#pragma once
// A few threads running posted work at (or after) its due time. The payment
// gateways run on it: simulated latency and retry backoff are due times, not
// sleeping threads, so a waiting call holds no thread; only an HTTP exchange
// in progress does (at most `threads` of them at once).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace orders::command::payment {

class DelayedExecutor {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DelayedExecutor(int threads);
  ~DelayedExecutor();
  DelayedExecutor(const DelayedExecutor&) = delete;
  DelayedExecutor& operator=(const DelayedExecutor&) = delete;

  // Runs `work(false)` on one of the threads once `due` has come; after
  // Stop(), `work(true)` runs instead (at once, on the stopping thread), so
  // whatever waits is always answered. Returns false if already stopped
  // (then `work(true)` has run on the caller's thread).
  bool Post(Clock::time_point due, std::function<void(bool stopped)> work);
  // Cancels what is not yet due (running it with `stopped` = true), waits
  // for what is running, ends the threads. Idempotent.
  void Stop();

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<Clock::time_point, std::function<void(bool)>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace orders::command::payment

#pragma once
// Runs a callback once a deadline has passed, unless it was cancelled first.
// The port lets the answer deadline of appends (deadline_appender.hpp) be
// tested with a clock the test moves; ThreadDeadlineTimer is the real one.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace orders::command {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = std::uint64_t;

  virtual ~DeadlineTimer() = default;
  // `fire` runs at most once, on the timer's thread, at or after now + `after`.
  virtual Id After(Clock::duration after, std::function<void()> fire) = 0;
  // After Cancel returns, `fire` of `id` has either run or never will.
  virtual void Cancel(Id id) = 0;
};

// One thread; due callbacks run on it one after another, outside the lock, so
// a callback may arm or cancel others. Callbacks still waiting when it is
// destroyed never run.
class ThreadDeadlineTimer : public DeadlineTimer {
 public:
  ThreadDeadlineTimer();
  ~ThreadDeadlineTimer() override;
  ThreadDeadlineTimer(const ThreadDeadlineTimer&) = delete;
  ThreadDeadlineTimer& operator=(const ThreadDeadlineTimer&) = delete;

  Id After(Clock::duration after, std::function<void()> fire) override;
  void Cancel(Id id) override;
  // Waiting callbacks (for tests and metrics).
  std::size_t Waiting() const;

 private:
  void Run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Keyed by (due, id): the earliest first, ids unique.
  std::map<std::pair<Clock::time_point, Id>, std::function<void()>> waiting_;
  std::map<Id, Clock::time_point> due_of_;
  Id next_id_ = 1;
  Id running_ = 0;  // the id whose callback runs now (0: none)
  std::condition_variable finished_running_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace orders::command

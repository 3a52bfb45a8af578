#pragma once
// GET /orders/{id}?minVersion=N: the order once the read model holds version N
// of it, or word that it does not within `max_wait`. Nothing blocks while it
// waits: the request registers with VersionWaiters (woken by the apply loop
// after each commit) and a timer runs on the Scheduler; whichever comes first
// answers, exactly once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <orders/projection/read_model_reader.hpp>
#include <orders/projection/version_waiters.hpp>

namespace orders::projection {

// Where the continuations of a wait run (the HTTP server's event loop).
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void Post(std::function<void()> task) = 0;
  virtual void After(std::chrono::milliseconds delay, std::function<void()> task) = 0;
};

struct VersionWaitResult {
  enum class Kind {
    kReached,           // `view` holds the order at version N or later
    kTooManyWaiting,    // VersionWaiters is full
    kNotReached,        // woken, but the order read back is still below N
    kTimedOut,          // not reached within max_wait
    kStoreUnavailable,  // the read model did not answer
  };
  Kind kind = Kind::kStoreUnavailable;
  std::optional<OrderView> view;
};

class VersionWait : public std::enable_shared_from_this<VersionWait> {
 public:
  using Answer = std::function<void(VersionWaitResult)>;

  // Held by shared_ptr: pending waits keep it alive.
  static std::shared_ptr<VersionWait> Create(ReadModelReader& reader, VersionWaiters& waiters, Scheduler& scheduler,
                                             std::chrono::milliseconds max_wait);

  // Calls `answer` exactly once: at once, or later on the scheduler.
  void Start(const std::string& order_id, std::int64_t min_version, Answer answer);

 private:
  struct Pending;
  VersionWait(ReadModelReader& reader, VersionWaiters& waiters, Scheduler& scheduler,
              std::chrono::milliseconds max_wait)
      : reader_(reader), waiters_(waiters), scheduler_(scheduler), max_wait_(max_wait) {}

  void Recheck(const std::shared_ptr<Pending>& pending);

  ReadModelReader& reader_;
  VersionWaiters& waiters_;
  Scheduler& scheduler_;
  std::chrono::milliseconds max_wait_;
};

}  // namespace orders::projection

#pragma once
// Requests waiting for an order to reach a version (GET /orders/{id}?minVersion=N).
// The apply loop calls Notify() after each commit; every waiter whose order
// reached its version is removed and its callback runs once, on the
// notifying thread (callbacks must only post work elsewhere). Bounded: Add()
// refuses new waiters beyond `capacity`. Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace orders::projection {

class VersionWaiters {
 public:
  using Callback = std::function<void()>;

  explicit VersionWaiters(std::size_t capacity = 10000) : capacity_(capacity) {}

  // nullopt when full.
  std::optional<std::uint64_t> Add(const std::string& order_id, std::int64_t min_version, Callback callback);
  void Remove(std::uint64_t id);
  // `versions`: order id -> version now stored.
  void Notify(const std::map<std::string, std::int64_t>& versions);
  // Runs and removes every waiter (at shutdown).
  void ReleaseAll();
  std::size_t Size() const;

 private:
  struct Waiter {
    std::string order_id;
    std::int64_t min_version;
    Callback callback;
  };

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Waiter> waiters_;
  std::multimap<std::string, std::uint64_t> by_order_;
};

}  // namespace orders::projection

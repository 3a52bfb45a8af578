#pragma once
// One writer per stream (an order, a product): work for a key runs only when
// no other work for that key is running, the rest waits in a bounded queue.
// Both books (OrderBook, StockBook) keep each stream's folded state in the
// same slot as its queue, under one lock. Thread-safe; no I/O.

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace orders::command {

template <typename State>
class ExclusiveSlots {
 public:
  // Starts work that waited for its key. The services hand it to a WorkQueue:
  // Release() is called from Kafka delivery callbacks, and work started there
  // would run inside the producer (see work_queue.hpp). Without one, waiting
  // work runs inline in Release() (the fakes of unit tests).
  using Dispatch = std::function<void(std::function<void()>)>;

  // Runs `work` now (on this thread) if the key is free, or later, through the
  // dispatch, when Release() frees it. Returns false, without running it, when
  // `max_waiting` pieces of work already wait for this key. `work` must lead
  // to exactly one Release(key).
  bool RunExclusive(const std::string& key, std::function<void()> work) {
    {
      std::lock_guard lock(mutex_);
      Slot& slot = slots_[key];
      if (slot.busy) {
        if (slot.waiting.size() >= max_waiting_) return false;
        slot.waiting.push_back(std::move(work));
        return true;
      }
      slot.busy = true;
    }
    work();
    return true;
  }

  void Release(const std::string& key) {
    std::function<void()> next;
    {
      std::lock_guard lock(mutex_);
      auto it = slots_.find(key);
      if (it == slots_.end()) return;
      Slot& slot = it->second;
      if (slot.waiting.empty()) {
        slot.busy = false;
        // A key that never got a state (a rejected command, an untracked product) leaves no trace.
        if (!slot.state) slots_.erase(it);
        return;
      }
      next = std::move(slot.waiting.front());
      slot.waiting.pop_front();
    }
    // The key stays busy for the next piece of work.
    if (dispatch_) {
      dispatch_(std::move(next));
    } else {
      next();
    }
  }

 protected:
  ExclusiveSlots(Dispatch dispatch, std::size_t max_waiting)
      : dispatch_(std::move(dispatch)), max_waiting_(max_waiting) {}

  struct Slot {
    std::optional<State> state;
    bool busy = false;
    // A list, not a deque: an empty std::deque still allocates ~600 bytes,
    // and almost every one of the (possibly millions of) slots is empty.
    std::list<std::function<void()>> waiting;
  };

  // The state of `key` (a copy), under the lock.
  std::optional<State> CopyOf(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(key);
    if (it == slots_.end()) return std::nullopt;
    return it->second.state;
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;

 private:
  Dispatch dispatch_;
  std::size_t max_waiting_;
};

}  // namespace orders::command

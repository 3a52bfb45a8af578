#include <orders/command/payment/delayed_executor.hpp>

namespace orders::command::payment {

DelayedExecutor::DelayedExecutor(int threads) {
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

DelayedExecutor::~DelayedExecutor() { Stop(); }

bool DelayedExecutor::Post(Clock::time_point due, std::function<void(bool)> work) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.emplace(due, std::move(work));
      wake_.notify_one();
      return true;
    }
  }
  work(true);
  return false;
}

void DelayedExecutor::Stop() {
  std::multimap<Clock::time_point, std::function<void(bool)>> cancelled;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    cancelled.swap(queue_);
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  for (auto& [due, work] : cancelled) work(true);
}

void DelayedExecutor::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto due = queue_.begin()->first;
    if (Clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto work = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    lock.unlock();
    work(false);
    lock.lock();
  }
}

}  // namespace orders::command::payment

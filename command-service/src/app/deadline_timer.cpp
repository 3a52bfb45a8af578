#include <orders/command/deadline_timer.hpp>

namespace orders::command {

ThreadDeadlineTimer::ThreadDeadlineTimer() : thread_([this] { Run(); }) {}

ThreadDeadlineTimer::~ThreadDeadlineTimer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

DeadlineTimer::Id ThreadDeadlineTimer::After(Clock::duration after, std::function<void()> fire) {
  const auto due = Clock::now() + after;
  bool earliest = false;
  Id id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    waiting_.emplace(std::make_pair(due, id), std::move(fire));
    due_of_.emplace(id, due);
    earliest = waiting_.begin()->first.second == id;
  }
  if (earliest) wake_.notify_all();
  return id;
}

void ThreadDeadlineTimer::Cancel(Id id) {
  std::unique_lock lock(mutex_);
  auto due = due_of_.find(id);
  if (due != due_of_.end()) {
    waiting_.erase({due->second, id});
    due_of_.erase(due);
    return;
  }
  // Running now on the timer's thread: wait for it, unless this is that thread.
  if (std::this_thread::get_id() == thread_.get_id()) return;
  finished_running_.wait(lock, [&] { return running_ != id; });
}

std::size_t ThreadDeadlineTimer::Waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

void ThreadDeadlineTimer::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (waiting_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto due = waiting_.begin()->first.first;
    if (Clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto entry = waiting_.extract(waiting_.begin());
    const Id id = entry.key().second;
    due_of_.erase(id);
    running_ = id;
    lock.unlock();
    entry.mapped()();
    lock.lock();
    running_ = 0;
    finished_running_.notify_all();
  }
}

}  // namespace orders::command

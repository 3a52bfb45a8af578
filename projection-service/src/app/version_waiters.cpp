#include <orders/projection/version_waiters.hpp>

#include <vector>

namespace orders::projection {

std::optional<std::uint64_t> VersionWaiters::Add(const std::string& order_id, std::int64_t min_version,
                                                 Callback callback) {
  std::lock_guard lock(mutex_);
  if (waiters_.size() >= capacity_) return std::nullopt;
  const std::uint64_t id = next_id_++;
  waiters_.emplace(id, Waiter{order_id, min_version, std::move(callback)});
  by_order_.emplace(order_id, id);
  return id;
}

void VersionWaiters::Remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  auto [first, last] = by_order_.equal_range(it->second.order_id);
  for (auto entry = first; entry != last; ++entry) {
    if (entry->second == id) {
      by_order_.erase(entry);
      break;
    }
  }
  waiters_.erase(it);
}

void VersionWaiters::Notify(const std::map<std::string, std::int64_t>& versions) {
  std::vector<Callback> ready;
  {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) return;
    for (const auto& [order_id, version] : versions) {
      auto [first, last] = by_order_.equal_range(order_id);
      for (auto entry = first; entry != last;) {
        auto waiter = waiters_.find(entry->second);
        if (waiter != waiters_.end() && waiter->second.min_version <= version) {
          ready.push_back(std::move(waiter->second.callback));
          waiters_.erase(waiter);
          entry = by_order_.erase(entry);
        } else {
          ++entry;
        }
      }
    }
  }
  for (auto& callback : ready) callback();
}

void VersionWaiters::ReleaseAll() {
  std::vector<Callback> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, waiter] : waiters_) all.push_back(std::move(waiter.callback));
    waiters_.clear();
    by_order_.clear();
  }
  for (auto& callback : all) callback();
}

std::size_t VersionWaiters::Size() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

}  // namespace orders::projection

#include <orders/command/own_appends.hpp>

namespace orders::command {

void OwnAppends::Folded(platform::Partition partition, platform::Offset offset) {
  std::lock_guard lock(mutex_);
  auto& noted = noted_[partition];
  noted.push_back(offset);
  if (noted.size() > max_per_partition_) noted.pop_front();
}

bool OwnAppends::Take(platform::Partition partition, platform::Offset offset) {
  std::lock_guard lock(mutex_);
  const auto it = noted_.find(partition);
  if (it == noted_.end()) return false;
  auto& noted = it->second;
  while (!noted.empty() && noted.front() < offset) noted.pop_front();
  if (noted.empty() || noted.front() != offset) return false;
  noted.pop_front();
  return true;
}

std::size_t OwnAppends::NoteCount() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [partition, noted] : noted_) count += noted.size();
  return count;
}

}  // namespace orders::command

#include <orders/platform/key_store.hpp>

namespace orders::platform {

void KeyStore::Replace(std::vector<PublicKey> keys) {
  std::map<std::string, PublicKey> by_kid;
  for (auto& key : keys) by_kid.insert_or_assign(key.kid, std::move(key));
  std::lock_guard lock(mutex_);
  keys_.swap(by_kid);
  ++generation_;
}

std::optional<PublicKey> KeyStore::Find(const std::string& kid) const {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(kid);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

std::uint64_t KeyStore::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

std::size_t KeyStore::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

}  // namespace orders::platform

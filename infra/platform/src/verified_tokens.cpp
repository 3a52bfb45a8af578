#include <orders/platform/verified_tokens.hpp>

namespace orders::platform {

std::optional<Principal> VerifiedTokens::Find(std::string_view token, std::chrono::system_clock::time_point now,
                                              std::uint64_t keys_generation) const {
  if (token.size() > max_token_bytes_) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  // `exp` is strict: a token is dead at its expiry, remembered or not.
  if (it->second.keys_generation != keys_generation || now >= it->second.principal.expires_at) return std::nullopt;
  ++hits_;
  return it->second.principal;
}

void VerifiedTokens::Remember(std::string_view token, const Principal& principal, std::uint64_t keys_generation) {
  if (token.size() > max_token_bytes_ || capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(std::string(token), Entry{principal, keys_generation});
}

std::uint64_t VerifiedTokens::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

}  // namespace orders::platform

#pragma once
// The public keys tokens are verified against, by `kid`. Replaced as a whole
// when a JWKS is re-read, so a rotated key is used without a restart.
// Thread-safe: verifying threads read while the refresher replaces.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <orders/platform/jwks.hpp>

namespace orders::platform {

class KeyStore {
 public:
  void Replace(std::vector<PublicKey> keys);
  std::optional<PublicKey> Find(const std::string& kid) const;
  std::size_t size() const;
  // Changes with every Replace: what was verified against an earlier set of keys is checked again.
  std::uint64_t generation() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, PublicKey> keys_;
  std::uint64_t generation_ = 0;
};

}  // namespace orders::platform

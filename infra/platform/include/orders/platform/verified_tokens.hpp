#pragma once
// Tokens that verified recently, with the principal each names. A client
// sends the same token with every request until it expires, so verifying it
// once (a signature and a JSON parse; the command service spent about 7% of
// its CPU there) serves its next requests. What makes a remembered token
// valid again later is only that it has not expired (its `nbf` and `iat`
// only ever get older), and, for a token checked against a JWKS key, that
// the key set it was checked against is still the current one: after any
// re-read of the keys every remembered token is verified afresh, so a
// withdrawn key is not honoured from memory. Refused tokens are never
// remembered. Bounded: past `capacity` tokens (or for one longer than
// `max_token_bytes`) it starts afresh, which costs only verifications.
// Thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <orders/platform/jwt.hpp>

namespace orders::platform {

class VerifiedTokens {
 public:
  explicit VerifiedTokens(std::size_t capacity = 1024, std::size_t max_token_bytes = 2048)
      : capacity_(capacity), max_token_bytes_(max_token_bytes) {}

  // The principal of `token` when it verified against `keys_generation` and has not expired by `now`.
  std::optional<Principal> Find(std::string_view token, std::chrono::system_clock::time_point now,
                                std::uint64_t keys_generation) const;
  void Remember(std::string_view token, const Principal& principal, std::uint64_t keys_generation);

  std::uint64_t hits() const;

 private:
  struct Entry {
    Principal principal;
    std::uint64_t keys_generation = 0;
  };

  // Looked up by the request's string_view: no copy of the token per request.
  struct TokenHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view token) const { return std::hash<std::string_view>{}(token); }
  };

  std::size_t capacity_;
  std::size_t max_token_bytes_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry, TokenHash, std::equal_to<>> entries_;
  mutable std::uint64_t hits_ = 0;
};

}  // namespace orders::platform

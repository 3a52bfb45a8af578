#pragma once
// Verifies a JSON Web Token and names its principal. Accepted:
//   HS256 with the configured secret; RS256 and ES256 with a key from the
//   KeyStore named by the token's `kid` (a JWKS key). The algorithm must match
//   the key's type: an HS256 token is never checked against a public key, and
//   "none", unknown or non-string `alg` values are refused.
// Claims: `sub`, `role` and `exp` are required; `exp` is strict (a token is
// dead at its expiry), while `nbf` and `iat` allow `leeway` for clocks that
// disagree; `iss` and `aud` (a string or an array) are checked when configured.
// A kid the store lacks triggers `on_unknown_kid` (a rate-limited JWKS
// re-read) once before the token is refused.
//
// A token that verified is remembered (verified_tokens.hpp), so a client's
// next requests with it cost a lookup, until it expires or the keys change.
//
// Thread-safe (const); the key store may be replaced concurrently.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <orders/platform/jwt.hpp>
#include <orders/platform/key_store.hpp>
#include <orders/platform/verified_tokens.hpp>

namespace orders::platform {

struct TokenRules {
  std::string hs256_secret;  // empty: HS256 tokens are refused
  std::string issuer;        // empty: `iss` not checked
  std::string audience;      // empty: `aud` not checked
  std::chrono::seconds leeway{30};

  // HS256 with `secret`, nothing else checked beyond the required claims.
  static TokenRules Hs256(std::string secret) {
    TokenRules rules;
    rules.hs256_secret = std::move(secret);
    return rules;
  }
};

class TokenVerifier {
 public:
  // `keys` may be null (HS256 only). `on_unknown_kid` returns true when it re-read the keys.
  explicit TokenVerifier(TokenRules rules, std::shared_ptr<const KeyStore> keys = nullptr,
                         std::function<bool()> on_unknown_kid = {});

  TokenCheck Verify(std::string_view token, std::chrono::system_clock::time_point now) const;
  // Verifications answered from memory (verified_tokens.hpp).
  std::uint64_t remembered_hits() const { return recent_.hits(); }

 private:
  TokenCheck VerifyAfresh(std::string_view token, std::chrono::system_clock::time_point now) const;
  // Why the signature does not hold, or empty when it does.
  std::string SignatureError(const std::string& alg, const std::optional<std::string>& kid,
                             std::string_view signing_input, std::string_view signature) const;

  TokenRules rules_;
  std::shared_ptr<const KeyStore> keys_;
  std::function<bool()> on_unknown_kid_;
  mutable VerifiedTokens recent_;
};

}  // namespace orders::platform

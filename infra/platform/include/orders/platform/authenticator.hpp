#pragma once
// Who a token says the caller is, for every service: built once at start from
// AuthConfig and shared by the HTTP and WebSocket layers (CheckAccess takes
// it). It owns the token verifier and, with a JWKS, the key store and the
// thread that keeps it fresh. With auth off it verifies nothing and every
// caller passes without a principal.

#include <chrono>
#include <memory>
#include <string_view>

#include <orders/platform/config.hpp>
#include <orders/platform/jwks_refresher.hpp>
#include <orders/platform/result.hpp>
#include <orders/platform/token_verifier.hpp>

namespace orders::platform {

class Authenticator {
 public:
  static std::shared_ptr<const Authenticator> Off();
  // Reads JWKS_FILE now (an unreadable file or one that is not a JWKS fails
  // the start); a JWKS_URL that is down at start is retried (the service starts).
  static Result<std::shared_ptr<const Authenticator>> Start(const AuthConfig& config);
  // Around a verifier alone (tests, tools).
  static std::shared_ptr<const Authenticator> With(TokenRules rules, std::shared_ptr<const KeyStore> keys = nullptr);

  Authenticator(std::unique_ptr<JwksRefresher> refresher, std::unique_ptr<TokenVerifier> verifier);
  ~Authenticator();

  bool enabled() const { return verifier_ != nullptr; }
  TokenCheck Verify(std::string_view token, std::chrono::system_clock::time_point now) const;

 private:
  std::unique_ptr<JwksRefresher> refresher_;  // outlives the verifier, which calls it
  std::unique_ptr<TokenVerifier> verifier_;   // null: auth off
};

}  // namespace orders::platform

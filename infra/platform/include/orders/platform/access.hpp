#pragma once
// Who may call an HTTP API, decided once for every service: with auth on, a
// request needs a valid token (Authorization: Bearer, or ?access_token= where
// the caller passes it: WebSocket upgrades, which browsers cannot give
// headers), else 401; a token whose role is not allowed gets 403. With auth off
// everyone passes with no principal. Pure logic; the HTTP layers feed it
// header and query text.

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <orders/platform/authenticator.hpp>
#include <orders/platform/jwt.hpp>
#include <orders/platform/problem.hpp>

namespace orders::platform {

struct Access {
  bool granted = false;
  std::optional<Principal> principal;  // nullopt when auth is off
  Problem refusal;                     // when not granted: 401 or 403
  // With a 401: the WWW-Authenticate value (RFC 6750 §3), naming
  // error="invalid_token" when a token came and was refused.
  std::string challenge;
};

struct Credentials {
  std::optional<std::string_view> authorization_header;
  std::optional<std::string_view> access_token_query;  // only where the caller accepts it
};

Access CheckAccess(const Credentials& credentials, const Authenticator& authenticator,
                   std::initializer_list<Role> allowed,
                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The challenge of a 401 without a token.
inline constexpr const char* kBearerChallenge = "Bearer";

}  // namespace orders::platform

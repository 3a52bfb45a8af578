#pragma once
// Who may call an HTTP API, decided once for every service: with a JWT secret
// configured, a request needs a valid token (Authorization: Bearer, or
// ?access_token= where a browser cannot set headers), else 401; a token whose
// role is not allowed gets 403. Without a secret, auth is off: everyone passes
// with no principal. Pure logic; the HTTP layers feed it header and query text.

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <orders/platform/jwt.hpp>
#include <orders/platform/problem.hpp>

namespace orders::platform {

struct Access {
  bool granted = false;
  std::optional<Principal> principal;  // nullopt when auth is off
  Problem refusal;                     // when not granted: 401 or 403
};

struct Credentials {
  std::optional<std::string_view> authorization_header;
  std::optional<std::string_view> access_token_query;
};

Access CheckAccess(const Credentials& credentials, std::string_view secret, std::initializer_list<Role> allowed,
                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Headers that go with a 401 (the challenge).
inline constexpr const char* kBearerChallenge = "Bearer";

}  // namespace orders::platform

#pragma once
// JSON Web Tokens as the contract uses them: `sub` = the caller's id (the customerId of a
// customer, the courierId of a courier), `role` = customer|courier|staff|service, `exp` (seconds since epoch,
// required). Verification lives in token_verifier.hpp; this file holds what callers and tools share: the principal a
// token names, HS256 signing, the Bearer header. Tokens are never logged.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace orders::platform {

enum class Role { kCustomer, kCourier, kStaff, kService };

struct Principal {
  std::string subject;  // the customerId of a customer, the courierId of a courier
  Role role = Role::kCustomer;
  // When the token stops being valid; a session opened with it ends then.
  std::chrono::system_clock::time_point expires_at = std::chrono::system_clock::time_point::max();
};

struct TokenCheck {
  std::optional<Principal> principal;
  std::string error;  // why the token was refused (safe to show: no token content)
};

std::optional<Role> ParseRole(std::string_view text);
std::string_view RoleName(Role role);

// Signs claims (a JSON object text) with HS256; for tests and tools.
std::string SignToken(std::string_view claims_json, std::string_view secret);

// The token of "Authorization: Bearer <token>", if that is the header's form
// (the scheme name is case-insensitive, RFC 9110).
std::optional<std::string_view> BearerToken(std::string_view authorization_header);

}  // namespace orders::platform

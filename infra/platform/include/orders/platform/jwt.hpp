#pragma once
// HS256 JSON Web Tokens as the contract uses them: `sub` = customerId,
// `role` = customer|staff|service, `exp` (seconds since epoch, required).
// Only HS256 is accepted (no "none", no algorithm confusion); the signature is
// compared in constant time. Tokens are never logged.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace orders::platform {

enum class Role { kCustomer, kStaff, kService };

struct Principal {
  std::string subject;  // the customerId for customers
  Role role = Role::kCustomer;
  // When the token stops being valid; a session opened with it ends then.
  std::chrono::system_clock::time_point expires_at = std::chrono::system_clock::time_point::max();
};

struct TokenCheck {
  std::optional<Principal> principal;
  std::string error;  // why the token was refused (safe to show: no token content)
};

TokenCheck VerifyToken(std::string_view token, std::string_view secret, std::chrono::system_clock::time_point now);

// Signs claims (a JSON object text) with HS256; for tests and tools.
std::string SignToken(std::string_view claims_json, std::string_view secret);

// The token of "Authorization: Bearer <token>", if that is the header's form.
std::optional<std::string_view> BearerToken(std::string_view authorization_header);

}  // namespace orders::platform

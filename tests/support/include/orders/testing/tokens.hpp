#pragma once
// Signed test tokens for services started with JWT_SECRET = kTestJwtSecret.

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>
#include <orders/platform/jwt.hpp>

namespace orders::testing {

inline constexpr const char* kTestJwtSecret = "integration-test-secret-of-32-chars-or-more";

// A token for `subject` with `role`, expiring `valid_for` from now (negative: already expired).
inline std::string TestToken(const std::string& subject, const std::string& role,
                             std::chrono::seconds valid_for = std::chrono::hours(1),
                             const std::string& secret = kTestJwtSecret) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       (std::chrono::system_clock::now() + valid_for).time_since_epoch())
                       .count();
  return platform::SignToken(nlohmann::json{{"sub", subject}, {"role", role}, {"exp", exp}}.dump(), secret);
}

inline std::string BearerOf(const std::string& token) { return "Bearer " + token; }

}  // namespace orders::testing

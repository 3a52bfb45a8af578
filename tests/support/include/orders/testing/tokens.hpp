#pragma once
// Signed test tokens for services started with JWT_SECRET = kTestJwtSecret
// (ServiceProcess does so unless a test says otherwise).

#include <chrono>
#include <map>
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

// `headers` with an Authorization header for `role` added, unless it has one:
// what tests that are not about auth send (a `service` caller may do everything).
inline std::map<std::string, std::string> WithToken(std::map<std::string, std::string> headers = {},
                                                    const std::string& role = "service") {
  headers.try_emplace("Authorization", BearerOf(TestToken("tests-" + role, role)));
  return headers;
}

}  // namespace orders::testing

#include <orders/platform/access.hpp>

#include <algorithm>

namespace orders::platform {
namespace {

constexpr const char* kInvalidTokenChallenge = R"(Bearer error="invalid_token")";

Access Unauthorized(std::string detail, const char* challenge) {
  return {false, std::nullopt, {401, "Unauthorized", std::move(detail), {}, {}}, challenge};
}

}  // namespace

Access CheckAccess(const Credentials& credentials, const Authenticator& authenticator,
                   std::initializer_list<Role> allowed, std::chrono::system_clock::time_point now) {
  if (!authenticator.enabled()) return {true, std::nullopt, {}, {}};
  std::optional<std::string_view> token;
  if (credentials.authorization_header) {
    token = BearerToken(*credentials.authorization_header);
    if (!token) return Unauthorized("Send the token as 'Authorization: Bearer <token>'.", kBearerChallenge);
  } else if (credentials.access_token_query) {
    token = credentials.access_token_query;
  }
  if (!token) return Unauthorized("A token is required.", kBearerChallenge);
  auto verified = authenticator.Verify(*token, now);
  if (!verified.principal) {
    return Unauthorized("The token is not valid: " + verified.error + ".", kInvalidTokenChallenge);
  }
  if (std::find(allowed.begin(), allowed.end(), verified.principal->role) == allowed.end()) {
    return {
        false, std::move(verified.principal), {403, "Forbidden", "This role may not use this resource.", {}, {}}, {}};
  }
  return {true, std::move(verified.principal), {}, {}};
}

}  // namespace orders::platform

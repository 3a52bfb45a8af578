#include <orders/platform/access.hpp>

#include <algorithm>

namespace orders::platform {

Access CheckAccess(const Credentials& credentials, std::string_view secret, std::initializer_list<Role> allowed,
                   std::chrono::system_clock::time_point now) {
  if (secret.empty()) return {true, std::nullopt, {}};
  std::optional<std::string_view> token;
  if (credentials.authorization_header) {
    token = BearerToken(*credentials.authorization_header);
    if (!token)
      return {false, std::nullopt, {401, "Unauthorized", "Send the token as 'Authorization: Bearer <token>'.", {}, {}}};
  } else if (credentials.access_token_query) {
    token = credentials.access_token_query;
  }
  if (!token) return {false, std::nullopt, {401, "Unauthorized", "A token is required.", {}, {}}};
  auto verified = VerifyToken(*token, secret, now);
  if (!verified.principal) {
    return {false, std::nullopt, {401, "Unauthorized", "The token is not valid: " + verified.error + ".", {}, {}}};
  }
  if (std::find(allowed.begin(), allowed.end(), verified.principal->role) == allowed.end()) {
    return {false, std::move(verified.principal), {403, "Forbidden", "This role may not use this resource.", {}, {}}};
  }
  return {true, std::move(verified.principal), {}};
}

}  // namespace orders::platform

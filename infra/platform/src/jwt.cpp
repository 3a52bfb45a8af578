#include <orders/platform/jwt.hpp>

#include <orders/platform/base64url.hpp>

#include "jws_signature.hpp"

namespace orders::platform {

std::optional<Role> ParseRole(std::string_view text) {
  if (text == "customer") return Role::kCustomer;
  if (text == "courier") return Role::kCourier;
  if (text == "staff") return Role::kStaff;
  if (text == "service") return Role::kService;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kCustomer:
      return "customer";
    case Role::kCourier:
      return "courier";
    case Role::kStaff:
      return "staff";
    case Role::kService:
      return "service";
  }
  return "customer";
}

std::string SignToken(std::string_view claims_json, std::string_view secret) {
  const std::string signing_input =
      Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + Base64UrlEncode(claims_json);
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

std::optional<std::string_view> BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = header[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) return std::nullopt;
  }
  const auto token = header.substr(kScheme.size());
  if (token.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  return token;
}

}  // namespace orders::platform

#include <orders/platform/jwt.hpp>

#include <orders/platform/base64url.hpp>

#include <cstdint>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

namespace orders::platform {
namespace {

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::optional<Role> ParseRole(const std::string& text) {
  if (text == "customer") return Role::kCustomer;
  if (text == "staff") return Role::kStaff;
  if (text == "service") return Role::kService;
  return std::nullopt;
}

}  // namespace

std::string SignToken(std::string_view claims_json, std::string_view secret) {
  const std::string signing_input =
      Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + Base64UrlEncode(claims_json);
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

TokenCheck VerifyToken(std::string_view token, std::string_view secret, std::chrono::system_clock::time_point now) {
  if (token.size() > 4096) return {std::nullopt, "token too long"};
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return {std::nullopt, "malformed token"};
  }
  const auto header = Base64UrlDecode(token.substr(0, first));
  const auto claims = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  const auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!header || !claims || !signature) return {std::nullopt, "malformed token"};

  const auto header_json = nlohmann::json::parse(*header, nullptr, false);
  // `alg` may be any JSON value in a forged header; only the string "HS256" is accepted.
  const auto alg = header_json.is_object() ? header_json.find("alg") : header_json.end();
  if (!header_json.is_object() || alg == header_json.end() || !alg->is_string() || *alg != "HS256") {
    return {std::nullopt, "unsupported algorithm"};
  }
  const std::string expected = HmacSha256(secret, token.substr(0, second));
  if (signature->size() != expected.size() || CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return {std::nullopt, "bad signature"};
  }
  const auto claims_json = nlohmann::json::parse(*claims, nullptr, false);
  if (!claims_json.is_object()) return {std::nullopt, "malformed claims"};
  const auto exp = claims_json.find("exp");
  if (exp == claims_json.end() || !exp->is_number()) return {std::nullopt, "exp is required"};
  const auto now_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (exp->get<double>() <= static_cast<double>(now_seconds)) return {std::nullopt, "token expired"};
  const auto sub = claims_json.find("sub");
  const auto role = claims_json.find("role");
  if (sub == claims_json.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return {std::nullopt, "sub is required"};
  }
  std::optional<Role> parsed_role;
  if (role != claims_json.end() && role->is_string()) parsed_role = ParseRole(role->get<std::string>());
  if (!parsed_role) return {std::nullopt, "role must be customer, staff or service"};
  // Far-future expiries (a forged 1e300 included) are clamped rather than overflowing the clock type.
  constexpr double kYear9999 = 253402300799.0;
  const auto expires_at =
      exp->get<double>() >= kYear9999
          ? std::chrono::system_clock::time_point::max()
          : std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(exp->get<double>())));
  return {Principal{sub->get<std::string>(), *parsed_role, expires_at}, {}};
}

std::optional<std::string_view> BearerToken(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return header.substr(kPrefix.size());
}

}  // namespace orders::platform

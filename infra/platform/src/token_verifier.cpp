#include <orders/platform/token_verifier.hpp>

#include <orders/platform/base64url.hpp>

#include <cmath>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "jws_signature.hpp"

namespace orders::platform {
namespace {

using Json = nlohmann::json;
constexpr std::size_t kMaxTokenBytes = 8192;

TokenCheck Refused(std::string why) { return {std::nullopt, std::move(why)}; }

// A NumericDate claim (RFC 7519 §2): absent, a number, or malformed.
enum class DateClaim { kAbsent, kNumber, kMalformed };
DateClaim ReadDate(const Json& claims, const char* name, double& value) {
  const auto it = claims.find(name);
  if (it == claims.end()) return DateClaim::kAbsent;
  if (!it->is_number() || !std::isfinite(it->get<double>())) return DateClaim::kMalformed;
  value = it->get<double>();
  return DateClaim::kNumber;
}

bool AudienceMatches(const Json& claims, const std::string& audience) {
  const auto aud = claims.find("aud");
  if (aud == claims.end()) return false;
  if (aud->is_string()) return *aud == audience;
  if (!aud->is_array()) return false;
  for (const auto& entry : *aud) {
    if (entry.is_string() && entry == audience) return true;
  }
  return false;
}

std::chrono::system_clock::time_point ExpiryOf(double exp) {
  // Far-future expiries are clamped rather than overflowing the clock type: with nanosecond ticks the
  // system clock ends in the year 2262, so a token valid "until 2500" (or a forged 1e300) means "never expires".
  using Clock = std::chrono::system_clock;
  const auto last_second =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::time_point::max().time_since_epoch());
  if (exp >= static_cast<double>(last_second.count())) return Clock::time_point::max();
  return Clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(exp)));
}

}  // namespace

TokenVerifier::TokenVerifier(TokenRules rules, std::shared_ptr<const KeyStore> keys,
                             std::function<bool()> on_unknown_kid)
    : rules_(std::move(rules)), keys_(std::move(keys)), on_unknown_kid_(std::move(on_unknown_kid)) {}

std::string TokenVerifier::SignatureError(const std::string& alg, const std::optional<std::string>& kid,
                                          std::string_view signing_input, std::string_view signature) const {
  if (alg == "HS256") {
    // Only ever the configured secret: a public key is never used as an HMAC key.
    if (rules_.hs256_secret.empty()) return "algorithm not accepted here";
    return VerifyHs256(rules_.hs256_secret, signing_input, signature) ? "" : "bad signature";
  }
  const KeyAlgorithm wanted = alg == "RS256" ? KeyAlgorithm::kRs256 : KeyAlgorithm::kEs256;
  if (!keys_) return "algorithm not accepted here";
  if (!kid) return "kid is required";
  auto key = keys_->Find(*kid);
  if (!key && on_unknown_kid_ && on_unknown_kid_()) key = keys_->Find(*kid);
  if (!key) return "unknown key";
  if (key->algorithm != wanted) return "the algorithm does not match the key";
  const bool valid = wanted == KeyAlgorithm::kRs256 ? VerifyRs256(key->key.get(), signing_input, signature)
                                                    : VerifyEs256(key->key.get(), signing_input, signature);
  return valid ? "" : "bad signature";
}

TokenCheck TokenVerifier::Verify(std::string_view token, std::chrono::system_clock::time_point now) const {
  // Read before verifying: keys replaced meanwhile make the remembered result stale, never the reverse.
  const std::uint64_t keys_generation = keys_ ? keys_->generation() : 0;
  if (auto principal = recent_.Find(token, now, keys_generation)) return {std::move(principal), {}};
  TokenCheck check = VerifyAfresh(token, now);
  if (check.principal) recent_.Remember(token, *check.principal, keys_generation);
  return check;
}

TokenCheck TokenVerifier::VerifyAfresh(std::string_view token, std::chrono::system_clock::time_point now) const {
  if (token.size() > kMaxTokenBytes) return Refused("token too long");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Refused("malformed token");
  }
  const auto header = Base64UrlDecode(token.substr(0, first));
  const auto claims = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  const auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!header || !claims || !signature) return Refused("malformed token");

  const auto header_json = Json::parse(*header, nullptr, false);
  if (!header_json.is_object()) return Refused("malformed token");
  // `alg` may be any JSON value in a forged header; only these strings are accepted.
  const auto alg = header_json.find("alg");
  if (alg == header_json.end() || !alg->is_string() || (*alg != "HS256" && *alg != "RS256" && *alg != "ES256")) {
    return Refused("unsupported algorithm");
  }
  // Extensions we do not understand must not be ignored (RFC 7515 §4.1.11).
  if (header_json.contains("crit")) return Refused("unsupported header");
  std::optional<std::string> kid;
  if (const auto it = header_json.find("kid"); it != header_json.end()) {
    if (!it->is_string()) return Refused("malformed token");
    kid = it->get<std::string>();
  }
  const std::string signature_error = SignatureError(alg->get<std::string>(), kid, token.substr(0, second), *signature);
  if (!signature_error.empty()) return Refused(signature_error);

  const auto claims_json = Json::parse(*claims, nullptr, false);
  if (!claims_json.is_object()) return Refused("malformed claims");
  const double now_seconds =
      static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  const double leeway = static_cast<double>(rules_.leeway.count());
  double exp = 0, nbf = 0, iat = 0;
  if (ReadDate(claims_json, "exp", exp) != DateClaim::kNumber) return Refused("exp is required");
  if (exp <= now_seconds) return Refused("token expired");
  const auto nbf_claim = ReadDate(claims_json, "nbf", nbf);
  if (nbf_claim == DateClaim::kMalformed) return Refused("malformed claims");
  if (nbf_claim == DateClaim::kNumber && nbf > now_seconds + leeway) return Refused("token not yet valid");
  const auto iat_claim = ReadDate(claims_json, "iat", iat);
  if (iat_claim == DateClaim::kMalformed) return Refused("malformed claims");
  if (iat_claim == DateClaim::kNumber && iat > now_seconds + leeway) return Refused("token issued in the future");
  if (!rules_.issuer.empty()) {
    const auto iss = claims_json.find("iss");
    if (iss == claims_json.end() || !iss->is_string() || *iss != rules_.issuer) return Refused("wrong issuer");
  }
  if (!rules_.audience.empty() && !AudienceMatches(claims_json, rules_.audience)) return Refused("wrong audience");

  const auto sub = claims_json.find("sub");
  if (sub == claims_json.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return Refused("sub is required");
  }
  const auto role = claims_json.find("role");
  std::optional<Role> parsed_role;
  if (role != claims_json.end() && role->is_string()) parsed_role = ParseRole(role->get_ref<const std::string&>());
  if (!parsed_role) return Refused("role must be customer, courier, staff or service");
  return {Principal{sub->get<std::string>(), *parsed_role, ExpiryOf(exp)}, {}};
}

}  // namespace orders::platform

// Fuzzes TokenVerifier (platform token_verifier.hpp) with a fixed HS256 secret and a fixed clock.
// The first input byte picks what the rest is:
//   0: a token as a client sends it. Without the secret the fuzzer cannot
//      sign, so an accepted token must be exactly what SignToken writes for
//      its claims (the seeds hold such tokens; mutations of them must fail);
//   1: the claims (JSON text), signed with SignToken; then one character of
//      the token, picked by the input, is changed;
//   2: header, claims and signature bytes separated by '\n', each base64url
//      encoded and joined with '.', unsigned (reaches the header and claims
//      parsing behind the base64 layer).
// Invariants: VerifyToken never throws; it yields either a principal or a
// short reason that holds no token content; it never accepts a token that was
// not signed with the secret: not a changed character of a signed token, not
// a token verified with another secret, not an expired one; a signed token
// whose claims hold a future exp, a non-empty sub and a known role is accepted
// with exactly that sub and role.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <orders/platform/base64url.hpp>
#include <orders/platform/jwt.hpp>
#include <orders/platform/token_verifier.hpp>

#include "fuzz_check.hpp"

namespace {

using orders::platform::Role;
using orders::platform::TokenCheck;

constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef0123456789";
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

TokenCheck Verify(std::string_view token, std::string_view secret, std::chrono::system_clock::time_point now) {
  TokenCheck check;
  bool threw = false;
  try {
    check =
        orders::platform::TokenVerifier(orders::platform::TokenRules::Hs256(std::string(secret))).Verify(token, now);
  } catch (...) {
    threw = true;
  }
  FUZZ_CHECK(!threw, "verification never throws");
  if (check.principal) {
    FUZZ_CHECK(check.error.empty(), "an accepted token carries no error");
    FUZZ_CHECK(!check.principal->subject.empty(), "an accepted token names its subject");
  } else {
    FUZZ_CHECK(!check.error.empty() && check.error.size() <= 64, "a refused token says why, briefly");
    for (const char c : check.error) {
      FUZZ_CHECK((c >= 'a' && c <= 'z') || c == ' ' || c == ',', "a refusal reason is fixed text, no token content");
    }
  }
  return check;
}

// Lenient (any leftover bits) decoding, to recover the claims of a token.
std::optional<std::string> FromBase64Url(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const auto value = kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::optional<Role> RoleOf(const nlohmann::json& role) {
  if (!role.is_string()) return std::nullopt;
  const auto& text = role.get_ref<const std::string&>();
  if (text == "customer") return Role::kCustomer;
  if (text == "courier") return Role::kCourier;
  if (text == "staff") return Role::kStaff;
  if (text == "service") return Role::kService;
  return std::nullopt;
}

void CheckSigned(std::string_view claims, std::uint8_t pick) {
  const std::string token = orders::platform::SignToken(claims, kSecret);
  const auto check = Verify(token, kSecret, kNow);

  // What the contract says of these claims: exp (a number, in the future), sub, role.
  const auto json = nlohmann::json::parse(claims, nullptr, false);
  bool valid = token.size() <= 4096 && json.is_object();
  std::optional<Role> role;
  if (valid) {
    const auto exp = json.find("exp");
    const auto sub = json.find("sub");
    const auto role_claim = json.find("role");
    valid = exp != json.end() && exp->is_number() && exp->get<double>() > 1'700'000'000.0 && sub != json.end() &&
            sub->is_string() && !sub->get_ref<const std::string&>().empty() && role_claim != json.end() &&
            (role = RoleOf(*role_claim)).has_value();
  }
  FUZZ_CHECK(check.principal.has_value() == valid, "a signed token is accepted exactly when its claims are valid");
  if (check.principal) {
    FUZZ_CHECK(check.principal->subject == json["sub"].get<std::string>(), "the principal is the token's sub");
    FUZZ_CHECK(check.principal->role == *role, "the principal has the token's role");
    FUZZ_CHECK(!Verify(token, "another-secret", kNow).principal, "a token is refused under another secret");
    const auto exp = json["exp"].get<double>();
    if (exp < 9e9) {  // within what system_clock counts
      const auto at_exp =
          std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(exp) + 1));
      FUZZ_CHECK(!Verify(token, kSecret, at_exp).principal, "a token is refused once expired");
    }
  }

  // One character changed: for a base64url character another one of the
  // alphabet (so it still decodes), else another byte. Never accepted. The
  // character is picked by the input, and the last one of each part is always
  // tried too (where base64url leaves spare bits).
  if (token.empty()) return;
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  for (const std::size_t at : {static_cast<std::size_t>((pick * 2654435761u + claims.size()) % token.size()),
                               first_dot - 1, second_dot - 1, token.size() - 1}) {
    std::string changed = token;
    const auto index = kAlphabet.find(token[at]);
    if (index != std::string_view::npos) {
      changed[at] = kAlphabet[(index + 1 + pick % 63) % 64];
    } else {
      changed[at] = static_cast<char>(token[at] ^ (1 + pick % 127));
    }
    FUZZ_CHECK(changed != token, "the change changes the token");
    FUZZ_CHECK(!Verify(changed, kSecret, kNow).principal, "a changed character of a signed token is refused");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      const auto check = Verify(rest, kSecret, kNow);
      if (check.principal) {
        const auto first = rest.find('.');
        const auto second = rest.find('.', first + 1);
        const auto claims = FromBase64Url(rest.substr(first + 1, second - first - 1));
        FUZZ_CHECK(claims && rest == orders::platform::SignToken(*claims, kSecret),
                   "an accepted token is exactly what SignToken writes for its claims");
      }
      break;
    }
    case 1:
      CheckSigned(rest, data[0] / 3);
      break;
    default: {
      const auto first = rest.find('\n');
      const auto second = first == std::string_view::npos ? first : rest.find('\n', first + 1);
      if (second == std::string_view::npos) return 0;
      const std::string token = orders::platform::Base64UrlEncode(rest.substr(0, first)) + "." +
                                orders::platform::Base64UrlEncode(rest.substr(first + 1, second - first - 1)) + "." +
                                orders::platform::Base64UrlEncode(rest.substr(second + 1));
      FUZZ_CHECK(!Verify(token, kSecret, kNow).principal, "an unsigned token is refused");
      break;
    }
  }
  return 0;
}

#include <gtest/gtest.h>

#include <orders/platform/base64url.hpp>
#include <orders/platform/jwks.hpp>
#include <orders/platform/key_store.hpp>
#include <orders/platform/token_verifier.hpp>
#include <orders/platform/verified_tokens.hpp>
#include <orders/testing/signing_keys.hpp>

namespace orders::platform {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::SigningKey;

constexpr const char* kSecret = "a-test-secret-that-is-long-enough-32";
const auto kNow = std::chrono::system_clock::time_point(seconds(1'800'000'000));
constexpr long long kNowSeconds = 1'800'000'000;

json Claims(const std::string& role = "staff") { return {{"sub", "ops"}, {"role", role}, {"exp", kNowSeconds + 60}}; }

// Keys are made once per test binary: RSA generation is slow.
const SigningKey& Rsa() {
  static const SigningKey key = SigningKey::Rsa("rsa-1");
  return key;
}
const SigningKey& Ec() {
  static const SigningKey key = SigningKey::P256("ec-1");
  return key;
}

std::shared_ptr<KeyStore> StoreWith(const std::vector<const SigningKey*>& keys) {
  auto store = std::make_shared<KeyStore>();
  auto parsed = ParseJwks(testing::JwksOf(keys));
  EXPECT_TRUE(parsed.keys) << parsed.error;
  store->Replace(*parsed.keys);
  return store;
}

TokenRules Rules(std::string issuer = {}, std::string audience = {}) {
  auto rules = TokenRules::Hs256(kSecret);
  rules.issuer = std::move(issuer);
  rules.audience = std::move(audience);
  return rules;
}

std::string Hs256(const json& claims) { return SignToken(claims.dump(), kSecret); }

class TokenVerifierTest : public ::testing::Test {
 protected:
  TokenCheck Verify(const std::string& token, TokenRules rules = Rules()) const {
    return TokenVerifier(std::move(rules), StoreWith({&Rsa(), &Ec()})).Verify(token, kNow);
  }
};

TEST_F(TokenVerifierTest, Rs256Es256AndHs256TokensAreAccepted) {
  for (const auto& token : {Rsa().Sign(Claims()), Ec().Sign(Claims("customer")), Hs256(Claims("service"))}) {
    const auto check = Verify(token);
    ASSERT_TRUE(check.principal) << check.error;
    EXPECT_EQ(check.principal->subject, "ops");
  }
  EXPECT_EQ(Verify(Ec().Sign(Claims("customer"))).principal->role, Role::kCustomer);
}

TEST_F(TokenVerifierTest, AForgedSignatureIsRefused) {
  for (const auto& token : {Rsa().Sign(Claims()), Ec().Sign(Claims())}) {
    const auto other = token.substr(0, token.rfind('.')) + "." +
                       Base64UrlEncode(std::string(token.size() - token.rfind('.') > 80 ? 256 : 64, '\x01'));
    EXPECT_EQ(Verify(other).error, "bad signature");
    // Claims swapped under a valid signature.
    const auto forged = Rsa().Sign(Claims("customer"));
    const auto staff = Rsa().Sign(Claims("staff"));
    EXPECT_EQ(Verify(staff.substr(0, staff.rfind('.')) + forged.substr(forged.rfind('.'))).error, "bad signature");
  }
  const SigningKey stranger = SigningKey::P256("ec-1");  // same kid, other key
  EXPECT_EQ(Verify(stranger.Sign(Claims())).error, "bad signature");
}

TEST_F(TokenVerifierTest, AnExpiredTokenIsRefusedWithoutLeeway) {
  auto claims = Claims();
  claims["exp"] = kNowSeconds;
  EXPECT_EQ(Verify(Rsa().Sign(claims)).error, "token expired");
  claims["exp"] = kNowSeconds - 10;
  EXPECT_EQ(Verify(Ec().Sign(claims)).error, "token expired");
}

TEST_F(TokenVerifierTest, AnExpiryBeyondTheClocksRangeMeansNeverExpires) {
  // The system clock counts nanoseconds and ends in 2262; a token valid until 2546 must not overflow it.
  for (const double exp : {18'200'000'000.0, 253'402'300'799.0, 1e300}) {
    auto claims = Claims();
    claims["exp"] = exp;
    const auto check = Verify(Hs256(claims));
    ASSERT_TRUE(check.principal) << exp << ": " << check.error;
    EXPECT_EQ(check.principal->expires_at, std::chrono::system_clock::time_point::max()) << exp;
  }
}

TEST_F(TokenVerifierTest, NotBeforeAllowsThirtySecondsOfClockSkew) {
  auto claims = Claims();
  claims["nbf"] = kNowSeconds + 31;
  EXPECT_EQ(Verify(Rsa().Sign(claims)).error, "token not yet valid");
  claims["nbf"] = kNowSeconds + 30;
  EXPECT_TRUE(Verify(Rsa().Sign(claims)).principal);
  claims["nbf"] = "soon";
  EXPECT_FALSE(Verify(Rsa().Sign(claims)).principal);
}

TEST_F(TokenVerifierTest, IssuedInTheFutureBeyondLeewayIsRefused) {
  auto claims = Claims();
  claims["iat"] = kNowSeconds + 31;
  EXPECT_EQ(Verify(Ec().Sign(claims)).error, "token issued in the future");
  claims["iat"] = kNowSeconds + 20;
  EXPECT_TRUE(Verify(Ec().Sign(claims)).principal);
}

TEST_F(TokenVerifierTest, AnUnknownKidIsRefused) {
  const auto token = Rsa().SignWithHeader({{"alg", "RS256"}, {"kid", "nobody"}}, Claims());
  EXPECT_EQ(Verify(token).error, "unknown key");
  EXPECT_EQ(Verify(Rsa().SignWithHeader({{"alg", "RS256"}}, Claims())).error, "kid is required");
  EXPECT_FALSE(Verify(Rsa().SignWithHeader({{"alg", "RS256"}, {"kid", 7}}, Claims())).principal);
}

TEST_F(TokenVerifierTest, AnUnknownKidTriggersOneRefreshThatCanFindARotatedKey) {
  const SigningKey rotated = SigningKey::P256("ec-2");
  auto store = StoreWith({&Rsa()});
  int refreshes = 0;
  TokenVerifier verifier(Rules(), store, [&] {
    ++refreshes;
    store->Replace(*ParseJwks(testing::JwksOf({&Rsa(), &rotated})).keys);
    return true;
  });
  const auto check = verifier.Verify(rotated.Sign(Claims()), kNow);
  EXPECT_TRUE(check.principal) << check.error;
  EXPECT_EQ(refreshes, 1);
  EXPECT_TRUE(verifier.Verify(rotated.Sign(Claims()), kNow).principal);
  EXPECT_EQ(refreshes, 1);  // known now: no further refresh
}

TEST_F(TokenVerifierTest, TheAlgorithmMustMatchTheKey) {
  // HS256 "signed" with the RSA key's public JWK as an HMAC secret: the classic confusion attack.
  const std::string public_jwk = Rsa().PublicJwk().dump();
  const std::string input =
      Base64UrlEncode(json{{"alg", "HS256"}, {"kid", "rsa-1"}}.dump()) + "." + Base64UrlEncode(Claims().dump());
  const std::string hs = SignToken(Claims().dump(), public_jwk);
  const auto confused = input + hs.substr(hs.rfind('.'));
  EXPECT_EQ(Verify(confused).error, "bad signature");
  EXPECT_EQ(TokenVerifier(TokenRules{}, StoreWith({&Rsa()})).Verify(confused, kNow).error,
            "algorithm not accepted here");
  // ES256 named on an RSA key, RS256 on an EC key.
  EXPECT_EQ(Verify(Ec().SignWithHeader({{"alg", "ES256"}, {"kid", "rsa-1"}}, Claims())).error,
            "the algorithm does not match the key");
  EXPECT_EQ(Verify(Rsa().SignWithHeader({{"alg", "RS256"}, {"kid", "ec-1"}}, Claims())).error,
            "the algorithm does not match the key");
}

TEST_F(TokenVerifierTest, NoneAndNonStringAlgorithmsAreRefusedWithoutThrowing) {
  const std::string claims = Base64UrlEncode(Claims().dump());
  for (const json& alg : {json("none"), json("None"), json(256), json::object({{"x", 1}}), json::array(), json(),
                          json("RS512"), json("HS384")}) {
    const std::string token = Base64UrlEncode(json{{"alg", alg}, {"kid", "rsa-1"}}.dump()) + "." + claims + ".";
    TokenCheck check;
    ASSERT_NO_THROW(check = Verify(token)) << alg;
    EXPECT_EQ(check.error, "unsupported algorithm") << alg;
  }
}

TEST_F(TokenVerifierTest, IssuerAndAudienceAreCheckedWhenConfigured) {
  auto claims = Claims();
  claims["iss"] = "https://idp.example";
  claims["aud"] = "orders";
  const auto rules = Rules("https://idp.example", "orders");
  EXPECT_TRUE(Verify(Rsa().Sign(claims), rules).principal);
  claims["aud"] = json::array({"billing", "orders"});
  EXPECT_TRUE(Verify(Rsa().Sign(claims), rules).principal);
  claims["aud"] = json::array({"billing"});
  EXPECT_EQ(Verify(Rsa().Sign(claims), rules).error, "wrong audience");
  claims["aud"] = "orders";
  claims["iss"] = "https://evil.example";
  EXPECT_EQ(Verify(Rsa().Sign(claims), rules).error, "wrong issuer");
  claims.erase("iss");
  EXPECT_EQ(Verify(Rsa().Sign(claims), rules).error, "wrong issuer");
  // Unconfigured: not checked.
  EXPECT_TRUE(Verify(Rsa().Sign(claims)).principal);
}

TEST_F(TokenVerifierTest, NonCanonicalBase64UrlIsRefused) {
  const auto token = Ec().Sign(Claims());
  ASSERT_TRUE(Verify(token).principal);
  // Padding, and the standard alphabet, spell the same bytes another way.
  EXPECT_FALSE(Verify(token + "=").principal);
  std::string plus = token;
  const auto dash = plus.find_first_of("-_");
  if (dash != std::string::npos) {
    plus[dash] = plus[dash] == '-' ? '+' : '/';
    EXPECT_FALSE(Verify(plus).principal);
  }
  // ES256's 64-byte signature is 86 characters whose last carries spare bits.
  std::string respelled = token;
  const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  respelled.back() = alphabet[alphabet.find(respelled.back()) | 1];
  if (respelled != token) {
    EXPECT_FALSE(Verify(respelled).principal);
  }
}

TEST_F(TokenVerifierTest, ATokenThatVerifiedIsAnsweredFromMemoryWithTheSamePrincipal) {
  TokenVerifier verifier(Rules(), StoreWith({&Rsa(), &Ec()}));
  const auto token = Rsa().Sign(Claims("courier"));
  const auto first = verifier.Verify(token, kNow);
  ASSERT_TRUE(first.principal);
  const auto again = verifier.Verify(token, kNow + seconds(1));
  ASSERT_TRUE(again.principal);
  EXPECT_EQ(again.principal->subject, "ops");
  EXPECT_EQ(again.principal->role, Role::kCourier);
  EXPECT_EQ(again.principal->expires_at, first.principal->expires_at);
  EXPECT_EQ(verifier.remembered_hits(), 1u);
}

TEST_F(TokenVerifierTest, ARememberedTokenIsDeadAtItsExpiry) {
  TokenVerifier verifier(Rules(), StoreWith({&Rsa(), &Ec()}));
  const auto token = Hs256(Claims());
  ASSERT_TRUE(verifier.Verify(token, kNow).principal);
  EXPECT_TRUE(verifier.Verify(token, kNow + seconds(59)).principal);
  EXPECT_EQ(verifier.Verify(token, kNow + seconds(60)).error, "token expired");
}

TEST_F(TokenVerifierTest, ARememberedTokenIsCheckedAgainOnceTheKeysChange) {
  auto store = StoreWith({&Rsa(), &Ec()});
  TokenVerifier verifier(Rules(), store);
  const auto token = Ec().Sign(Claims());
  ASSERT_TRUE(verifier.Verify(token, kNow).principal);
  store->Replace(*ParseJwks(testing::JwksOf({&Rsa()})).keys);  // ec-1 withdrawn
  EXPECT_EQ(verifier.Verify(token, kNow).error, "unknown key");
  EXPECT_EQ(verifier.remembered_hits(), 0u);
}

TEST_F(TokenVerifierTest, ARefusedTokenIsNeverRemembered) {
  TokenVerifier verifier(Rules(), StoreWith({&Rsa(), &Ec()}));
  const SigningKey stranger = SigningKey::P256("ec-1");  // same kid, other key
  const auto forged = stranger.Sign(Claims());
  EXPECT_EQ(verifier.Verify(forged, kNow).error, "bad signature");
  EXPECT_EQ(verifier.Verify(forged, kNow).error, "bad signature");
  EXPECT_EQ(verifier.remembered_hits(), 0u);
}

TEST(VerifiedTokensTest, PastItsCapacityItStartsAfresh) {
  VerifiedTokens tokens(2);
  const Principal principal{"ops", Role::kStaff, std::chrono::system_clock::time_point::max()};
  tokens.Remember("a", principal, 0);
  tokens.Remember("b", principal, 0);
  EXPECT_TRUE(tokens.Find("a", kNow, 0));
  tokens.Remember("c", principal, 0);
  EXPECT_FALSE(tokens.Find("a", kNow, 0));
  EXPECT_TRUE(tokens.Find("c", kNow, 0));
}

TEST(VerifiedTokensTest, ALongTokenIsNotKept) {
  VerifiedTokens tokens(8, 16);
  const Principal principal{"ops", Role::kStaff, std::chrono::system_clock::time_point::max()};
  tokens.Remember(std::string(17, 'x'), principal, 0);
  EXPECT_FALSE(tokens.Find(std::string(17, 'x'), kNow, 0));
}

}  // namespace
}  // namespace orders::platform

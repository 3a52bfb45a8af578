#include <gtest/gtest.h>

#include <vector>

#include <orders/platform/jwt.hpp>
#include <orders/platform/token_verifier.hpp>

namespace orders::platform {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::string_view kSecret = "a-test-secret-that-is-long-enough-32";
const system_clock::time_point kNow = system_clock::time_point(seconds(1'800'000'000));

TokenCheck Verify(std::string_view token) {
  return TokenVerifier(TokenRules::Hs256(std::string(kSecret))).Verify(token, kNow);
}

std::string Claims(const std::string& sub, const std::string& role, long long exp = 1'800'000'060) {
  return R"({"sub":")" + sub + R"(","role":")" + role + R"(","exp":)" + std::to_string(exp) + "}";
}

TEST(Jwt, ValidTokenNamesTheSubjectAndRole) {
  const auto check = Verify(SignToken(Claims("customer-7", "customer"), kSecret));
  ASSERT_TRUE(check.principal) << check.error;
  EXPECT_EQ(check.principal->subject, "customer-7");
  EXPECT_EQ(check.principal->role, Role::kCustomer);
  EXPECT_EQ(Verify(SignToken(Claims("ops", "staff"), kSecret)).principal->role, Role::kStaff);
  EXPECT_EQ(Verify(SignToken(Claims("svc", "service"), kSecret)).principal->role, Role::kService);
}

TEST(Jwt, ExpiredTokenIsRefused) {
  const auto check = Verify(SignToken(Claims("c", "customer", 1'800'000'000), kSecret));
  EXPECT_FALSE(check.principal);
  EXPECT_EQ(check.error, "token expired");
}

TEST(Jwt, TokenWithoutExpiryIsRefused) {
  EXPECT_FALSE(Verify(SignToken(R"({"sub":"c","role":"staff"})", kSecret)).principal);
}

TEST(Jwt, TokenSignedWithAnotherSecretIsRefused) {
  const auto check = Verify(SignToken(Claims("c", "staff"), "another-secret-that-is-long-enough!!"));
  EXPECT_FALSE(check.principal);
  EXPECT_EQ(check.error, "bad signature");
}

TEST(Jwt, ClaimsEditedAfterSigningAreRefused) {
  const std::string customer = SignToken(Claims("c", "customer"), kSecret);
  const std::string staff = SignToken(Claims("c", "staff"), kSecret);
  // Staff claims with the customer token's signature.
  const std::string forged = staff.substr(0, staff.rfind('.')) + customer.substr(customer.rfind('.'));
  EXPECT_FALSE(Verify(forged).principal);
}

TEST(Jwt, AlgorithmNoneIsRefused) {
  // {"alg":"none","typ":"JWT"} . {"sub":"c","role":"staff","exp":1800000060} . (empty signature)
  const std::string unsigned_token =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJjIiwicm9sZSI6InN0YWZmIiwiZXhwIjoxODAwMDAwMDYwfQ.";
  const auto check = Verify(unsigned_token);
  EXPECT_FALSE(check.principal);
  EXPECT_EQ(check.error, "unsupported algorithm");
}

TEST(Jwt, ANonStringAlgorithmIsRefusedWithoutThrowing) {
  // {"alg":1} . {"sub":"c","role":"staff","exp":1800000060} . "x"
  const std::string token = "eyJhbGciOjF9.eyJzdWIiOiJjIiwicm9sZSI6InN0YWZmIiwiZXhwIjoxODAwMDAwMDYwfQ.eA";
  TokenCheck check;
  ASSERT_NO_THROW(check = Verify(token));
  EXPECT_FALSE(check.principal);
  EXPECT_EQ(check.error, "unsupported algorithm");
}

TEST(Jwt, ASignatureHasOneSpellingOnly) {
  const std::string token = SignToken(Claims("c", "staff"), kSecret);
  ASSERT_TRUE(Verify(token).principal);
  // A 32-byte signature is 43 base64url characters; the last one carries 2 spare bits. Setting them
  // spells the same bytes differently, which must not verify.
  std::string respelled = token;
  const char last = respelled.back();
  const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  respelled.back() = alphabet[alphabet.find(last) | 1];
  ASSERT_NE(respelled, token);
  EXPECT_FALSE(Verify(respelled).principal);
}

TEST(Jwt, UnknownRoleOrMissingSubjectIsRefused) {
  EXPECT_FALSE(Verify(SignToken(Claims("c", "admin"), kSecret)).principal);
  EXPECT_FALSE(Verify(SignToken(Claims("", "staff"), kSecret)).principal);
  EXPECT_FALSE(Verify(SignToken(R"({"role":"staff","exp":1800000060})", kSecret)).principal);
}

TEST(Jwt, MalformedTokensAreRefusedWithoutThrowing) {
  for (const std::string& token : std::vector<std::string>{"", ".", "..", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.",
                                                           "e30.bm90IGpzb24.xx", std::string(9000, 'a')}) {
    EXPECT_FALSE(Verify(token).principal) << token;
  }
}

TEST(Jwt, BearerHeaderGivesTheToken) {
  EXPECT_EQ(BearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  EXPECT_EQ(BearerToken("bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(BearerToken("BEARER abc.def.ghi"), "abc.def.ghi");
  EXPECT_FALSE(BearerToken("Bearer abc def"));
  EXPECT_FALSE(BearerToken("Basic dXNlcjpwYXNz"));
  EXPECT_FALSE(BearerToken("Bearer "));
  EXPECT_FALSE(BearerToken(""));
}

}  // namespace
}  // namespace orders::platform

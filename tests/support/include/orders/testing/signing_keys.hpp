#pragma once
// Key pairs made at test time (never committed) for RS256 and ES256 tokens:
// the public half as a JWK for a JWKS document, the private half to sign.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <openssl/types.h>
#include <nlohmann/json.hpp>

namespace orders::testing {

class SigningKey {
 public:
  static SigningKey Rsa(std::string kid);   // 2048-bit RSA, RS256
  static SigningKey P256(std::string kid);  // EC P-256, ES256

  const std::string& kid() const { return kid_; }
  const char* alg() const { return rsa_ ? "RS256" : "ES256"; }
  nlohmann::json PublicJwk() const;
  // A compact JWS over `claims` with header {alg, kid, typ}.
  std::string Sign(const nlohmann::json& claims) const;
  // The same with any header (to forge algorithms, kids, ...).
  std::string SignWithHeader(const nlohmann::json& header, const nlohmann::json& claims) const;

 private:
  SigningKey(std::string kid, bool rsa, std::shared_ptr<EVP_PKEY> key)
      : kid_(std::move(kid)), rsa_(rsa), key_(std::move(key)) {}

  std::string kid_;
  bool rsa_;
  std::shared_ptr<EVP_PKEY> key_;
};

// {"keys": [...]} of the keys' public halves.
std::string JwksOf(const std::vector<const SigningKey*>& keys);

// Claims {sub, role, exp = now + valid_for}.
nlohmann::json ClaimsFor(const std::string& subject, const std::string& role,
                         std::chrono::seconds valid_for = std::chrono::hours(1));

}  // namespace orders::testing

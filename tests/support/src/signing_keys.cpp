#include <orders/testing/signing_keys.hpp>

#include <chrono>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <orders/platform/base64url.hpp>

namespace orders::testing {
namespace {

using platform::Base64UrlEncode;

std::shared_ptr<EVP_PKEY> Owned(EVP_PKEY* key) {
  if (!key) throw std::runtime_error("key generation failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::string BigNumParam(EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) throw std::runtime_error("no key parameter");
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(value)), '\0');
  BN_bn2bin(value, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(value);
  return bytes;
}

std::string DigestSign(EVP_PKEY* key, const std::string& input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes, input.size()) != 1) {
    throw std::runtime_error("signing failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes, input.size()) !=
      1) {
    throw std::runtime_error("signing failed");
  }
  signature.resize(length);
  return signature;
}

// OpenSSL's DER ECDSA signature as JWS's fixed-width r||s.
std::string RawEcdsa(const std::string& der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())), ECDSA_SIG_free);
  if (!sig) throw std::runtime_error("bad DER signature");
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32);
  return raw;
}

}  // namespace

SigningKey SigningKey::Rsa(std::string kid) {
  return SigningKey(std::move(kid), true, Owned(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})));
}

SigningKey SigningKey::P256(std::string kid) {
  return SigningKey(std::move(kid), false, Owned(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")));
}

nlohmann::json SigningKey::PublicJwk() const {
  if (rsa_) {
    return {{"kty", "RSA"},
            {"kid", kid_},
            {"use", "sig"},
            {"alg", "RS256"},
            {"n", Base64UrlEncode(BigNumParam(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
            {"e", Base64UrlEncode(BigNumParam(key_.get(), OSSL_PKEY_PARAM_RSA_E))}};
  }
  unsigned char point[65];
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length) != 1 ||
      length != 65) {
    throw std::runtime_error("no EC point");
  }
  const std::string x(reinterpret_cast<char*>(point + 1), 32), y(reinterpret_cast<char*>(point + 33), 32);
  return {{"kty", "EC"},
          {"kid", kid_},
          {"use", "sig"},
          {"alg", "ES256"},
          {"crv", "P-256"},
          {"x", Base64UrlEncode(x)},
          {"y", Base64UrlEncode(y)}};
}

std::string SigningKey::Sign(const nlohmann::json& claims) const {
  return SignWithHeader({{"alg", alg()}, {"kid", kid_}, {"typ", "JWT"}}, claims);
}

std::string SigningKey::SignWithHeader(const nlohmann::json& header, const nlohmann::json& claims) const {
  const std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  std::string signature = DigestSign(key_.get(), input);
  if (!rsa_) signature = RawEcdsa(signature);
  return input + "." + Base64UrlEncode(signature);
}

std::string JwksOf(const std::vector<const SigningKey*>& keys) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto* key : keys) list.push_back(key->PublicJwk());
  return nlohmann::json{{"keys", list}}.dump();
}

nlohmann::json ClaimsFor(const std::string& subject, const std::string& role, std::chrono::seconds valid_for) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       (std::chrono::system_clock::now() + valid_for).time_since_epoch())
                       .count();
  return {{"sub", subject}, {"role", role}, {"exp", exp}};
}

}  // namespace orders::testing

#include "jws_signature.hpp"

#include <memory>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace orders::platform {
namespace {

const unsigned char* Bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

bool DigestVerify(EVP_PKEY* key, std::string_view signing_input, const unsigned char* signature, std::size_t length) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), signature, length, Bytes(signing_input), signing_input.size()) == 1;
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(), digest, &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

bool VerifyHs256(std::string_view secret, std::string_view signing_input, std::string_view signature) {
  const std::string expected = HmacSha256(secret, signing_input);
  return signature.size() == expected.size() && CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

bool VerifyRs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
  return DigestVerify(key, signing_input, Bytes(signature), signature.size());
}

bool VerifyEs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
  if (signature.size() != 64) return false;
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(Bytes(signature), 32, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(signature) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) return false;
  const bool valid = DigestVerify(key, signing_input, der, static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return valid;
}

}  // namespace orders::platform

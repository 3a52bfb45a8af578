#include <orders/platform/jwks.hpp>

#include <orders/platform/base64url.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>

namespace orders::platform {
namespace {

using Json = nlohmann::json;

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

std::optional<std::string> Member(const Json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::string> Base64Member(const Json& jwk, const char* name) {
  const auto text = Member(jwk, name);
  if (!text) return std::nullopt;
  auto bytes = Base64UrlDecode(*text);
  if (!bytes || bytes->empty()) return std::nullopt;
  return bytes;
}

std::unique_ptr<BIGNUM, BnFree> Unsigned(const std::string& big_endian) {
  return std::unique_ptr<BIGNUM, BnFree>(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                                                   static_cast<int>(big_endian.size()), nullptr));
}

// The key OpenSSL builds from `params`, checked to be a usable public key.
std::shared_ptr<EVP_PKEY> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  std::shared_ptr<EVP_PKEY> owned(key, EVP_PKEY_free);
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return owned;
}

std::shared_ptr<EVP_PKEY> RsaKey(const Json& jwk) {
  const auto n = Base64Member(jwk, "n");
  const auto e = Base64Member(jwk, "e");
  if (!n || !e) return nullptr;
  auto n_bn = Unsigned(*n);
  auto e_bn = Unsigned(*e);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!n_bn || !e_bn || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    return nullptr;
  }
  auto key = FromData("RSA", bld.get());
  // Short RSA keys are forgeable; refuse them rather than trust them.
  if (key && EVP_PKEY_get_bits(key.get()) < 2048) return nullptr;
  return key;
}

std::shared_ptr<EVP_PKEY> P256Key(const Json& jwk) {
  if (Member(jwk, "crv") != "P-256") return nullptr;
  const auto x = Base64Member(jwk, "x");
  const auto y = Base64Member(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  const std::string point = std::string(1, '\x04') + *x + *y;  // uncompressed SEC1 point
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  return FromData("EC", bld.get());
}

std::optional<PublicKey> KeyOf(const Json& jwk) {
  if (!jwk.is_object()) return std::nullopt;
  const auto kid = Member(jwk, "kid");
  const auto kty = Member(jwk, "kty");
  if (!kid || kid->empty() || !kty) return std::nullopt;
  if (jwk.contains("use") && Member(jwk, "use") != "sig") return std::nullopt;
  const auto alg = Member(jwk, "alg");
  if (*kty == "RSA" && (!jwk.contains("alg") || alg == "RS256")) {
    if (auto key = RsaKey(jwk)) return PublicKey{*kid, KeyAlgorithm::kRs256, std::move(key)};
  } else if (*kty == "EC" && (!jwk.contains("alg") || alg == "ES256")) {
    if (auto key = P256Key(jwk)) return PublicKey{*kid, KeyAlgorithm::kEs256, std::move(key)};
  }
  return std::nullopt;
}

}  // namespace

JwksParse ParseJwks(std::string_view document) {
  const auto json = Json::parse(document, nullptr, false);
  if (!json.is_object()) return {std::nullopt, "the JWKS is not a JSON object"};
  const auto keys = json.find("keys");
  if (keys == json.end() || !keys->is_array()) return {std::nullopt, "the JWKS has no \"keys\" array"};
  std::vector<PublicKey> parsed;
  for (const auto& jwk : *keys) {
    if (auto key = KeyOf(jwk)) parsed.push_back(std::move(*key));
  }
  return {std::move(parsed), {}};
}

}  // namespace orders::platform

#pragma once
// The three JWS signatures tokens may carry (RFC 7518 §3), on OpenSSL's EVP
// API. Internal to the platform: callers verify whole tokens (token_verifier.hpp).

#include <string>
#include <string_view>

#include <openssl/types.h>

namespace orders::platform {

std::string HmacSha256(std::string_view key, std::string_view data);
// Constant-time comparison against the HMAC of `signing_input`.
bool VerifyHs256(std::string_view secret, std::string_view signing_input, std::string_view signature);
// RSASSA-PKCS1-v1_5 with SHA-256.
bool VerifyRs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature);
// ECDSA P-256 with SHA-256; `signature` is JWS's raw r||s (64 bytes), not DER.
bool VerifyEs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature);

}  // namespace orders::platform

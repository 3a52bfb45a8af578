#pragma once
// Standard Webhooks signatures (https://www.standardwebhooks.com/): a receiver checks
//   webhook-signature: v1,<base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>
// where key is the endpoint secret "whsec_<base64>" with the prefix removed and the rest decoded.
// Base64 here is the standard alphabet with padding (not base64url). The HMAC and the random bytes
// come from OpenSSL. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include <orders/platform/result.hpp>

namespace orders::notifier::webhooks {

inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";

// "v1,<base64>" for one attempt; `timestamp` is the webhook-timestamp header (Unix seconds). Fails
// only for a secret that is not "whsec_" followed by non-empty padded base64; the error never
// contains the secret.
platform::Result<std::string> SignWebhook(std::string_view secret, std::string_view message_id, std::int64_t timestamp,
                                          std::string_view body);

// A new endpoint secret: "whsec_" + base64 of 32 bytes from OpenSSL's RAND_bytes. Throws
// std::runtime_error when the generator cannot supply them (never returns a weak secret).
std::string NewWebhookSecret();

}  // namespace orders::notifier::webhooks

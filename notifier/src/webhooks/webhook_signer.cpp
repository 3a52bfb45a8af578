#include <orders/notifier/webhooks/webhook_signer.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <stdexcept>

namespace orders::notifier::webhooks {
namespace {

constexpr std::size_t kSecretBytes = 32;

const unsigned char* Bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

std::string Base64(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), Bytes(bytes), static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(std::max(written, 0)));
  return text;
}

// Strict standard base64 with padding. EVP_DecodeBlock alone would skip whitespace and count the
// padding as zero bytes, so the shape is checked first and the padding taken off after.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  const std::size_t padding = text.size() - text.find_last_not_of('=') - 1;
  if (padding > 2) return std::nullopt;
  const auto is_alphabet = [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/'; };
  if (!std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding), is_alphabet)) return std::nullopt;
  std::string bytes(text.size() / 4 * 3, '\0');
  const int written =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()), Bytes(text), static_cast<int>(text.size()));
  if (written < 0 || static_cast<std::size_t>(written) < padding) return std::nullopt;
  bytes.resize(static_cast<std::size_t>(written) - padding);
  return bytes;
}

struct MacFree {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// Fetched once: looking the algorithm up is the costly part of a small HMAC.
EVP_MAC* Hmac() {
  static const std::unique_ptr<EVP_MAC, MacFree> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return hmac.get();
}

}  // namespace

platform::Result<std::string> SignWebhook(std::string_view secret, std::string_view message_id, std::int64_t timestamp,
                                          std::string_view body) {
  if (secret.substr(0, kWebhookSecretPrefix.size()) != kWebhookSecretPrefix) {
    return platform::Fail("the signing secret does not start with whsec_");
  }
  const auto key = DecodeBase64(secret.substr(kWebhookSecretPrefix.size()));
  if (!key || key->empty()) return platform::Fail("the signing secret is not valid base64");

  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                               OSSL_PARAM_construct_end()};
  const std::unique_ptr<EVP_MAC_CTX, MacFree> ctx(Hmac() ? EVP_MAC_CTX_new(Hmac()) : nullptr);
  const std::string stamp = std::to_string(timestamp);
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  const bool signed_ok =
      ctx && EVP_MAC_init(ctx.get(), Bytes(*key), key->size(), params) == 1 &&
      EVP_MAC_update(ctx.get(), Bytes(message_id), message_id.size()) == 1 &&
      EVP_MAC_update(ctx.get(), Bytes("."), 1) == 1 && EVP_MAC_update(ctx.get(), Bytes(stamp), stamp.size()) == 1 &&
      EVP_MAC_update(ctx.get(), Bytes("."), 1) == 1 && EVP_MAC_update(ctx.get(), Bytes(body), body.size()) == 1 &&
      EVP_MAC_final(ctx.get(), mac, &length, sizeof mac) == 1;
  if (!signed_ok) return platform::Fail("OpenSSL could not compute the HMAC");
  return "v1," + Base64(std::string_view(reinterpret_cast<const char*>(mac), length));
}

std::string NewWebhookSecret() {
  unsigned char bytes[kSecretBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes could not supply a webhook secret");
  return std::string(kWebhookSecretPrefix) +
         Base64(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace orders::notifier::webhooks

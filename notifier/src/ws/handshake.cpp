#include <orders/notifier/handshake.hpp>

#include <algorithm>
#include <cctype>

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace orders::notifier {
namespace {

bool ContainsToken(std::string_view header, std::string_view token) {
  std::string lower(header);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::size_t start = 0;
  while (start <= lower.size()) {
    auto end = lower.find(',', start);
    if (end == std::string::npos) end = lower.size();
    std::string_view part = std::string_view(lower).substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part == token) return true;
    start = end + 1;
  }
  return false;
}

bool IsBase64Of16Bytes(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22,
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'; });
}

}  // namespace

std::string AcceptKey(std::string_view key) {
  const std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(length));
}

HandshakeCheck CheckHandshake(const HandshakeRequest& request, const std::vector<std::string>& allowed_origins) {
  if (request.method != "GET") return {405, "WebSocket upgrades use GET.", {}};
  if (!request.upgrade || !ContainsToken(*request.upgrade, "websocket") || !request.connection ||
      !ContainsToken(*request.connection, "upgrade")) {
    return {426, "This endpoint speaks WebSocket only (Upgrade: websocket).", {}};
  }
  if (!request.version || *request.version != "13") return {426, "Only WebSocket version 13 is supported.", {}};
  if (!request.key || !IsBase64Of16Bytes(*request.key)) return {400, "Sec-WebSocket-Key is missing or malformed.", {}};
  if (!allowed_origins.empty()) {
    const bool allowed = request.origin && std::find(allowed_origins.begin(), allowed_origins.end(),
                                                     std::string(*request.origin)) != allowed_origins.end();
    if (!allowed) return {403, "This Origin is not allowed.", {}};
  }
  return {101, {}, AcceptKey(*request.key)};
}

}  // namespace orders::notifier

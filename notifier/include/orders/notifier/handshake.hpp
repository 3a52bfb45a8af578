#pragma once
// The WebSocket opening handshake (RFC 6455 section 4), as pure checks.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orders::notifier {

struct HandshakeRequest {
  std::string_view method;
  std::optional<std::string_view> upgrade;     // Upgrade
  std::optional<std::string_view> connection;  // Connection
  std::optional<std::string_view> version;     // Sec-WebSocket-Version
  std::optional<std::string_view> key;         // Sec-WebSocket-Key
  std::optional<std::string_view> origin;      // Origin
};

struct HandshakeCheck {
  int status = 101;    // 101, or the HTTP status to refuse with
  std::string detail;  // why it was refused
  std::string accept;  // Sec-WebSocket-Accept for a 101
};

// `allowed_origins` empty: any origin (and none) is accepted.
HandshakeCheck CheckHandshake(const HandshakeRequest& request, const std::vector<std::string>& allowed_origins);

// base64(SHA-1(key + the RFC's GUID)).
std::string AcceptKey(std::string_view key);

}  // namespace orders::notifier

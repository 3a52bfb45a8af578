#pragma once
// base64url without padding (RFC 4648 §5), as JWTs and our list cursors spell bytes. Decoding is
// strict: one spelling per byte string (no padding, no other alphabet, leftover bits zero), so a
// token or cursor cannot be respelled and still be accepted.
#include <optional>
#include <string>
#include <string_view>

namespace orders::platform {

std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace orders::platform

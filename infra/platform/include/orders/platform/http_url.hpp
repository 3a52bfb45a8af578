#pragma once
// The one parser for the http:// and https:// URLs the services are given: by an operator (a payment
// gateway, a JWKS endpoint, the command API) or by a client (a webhook target). It is strict on
// purpose, so that what it accepts means the same thing to every HTTP client and server the URL
// meets later:
//   - http or https only (the scheme is case-insensitive and comes back lower case);
//   - at most kMaxHttpUrlBytes bytes, printable ASCII only (no spaces, no control characters: a
//     URL can never break a request line or a header);
//   - no credentials (user@host), no fragment (#...), no backslash;
//   - a host that is a DNS name ([a-z0-9._-], lower-cased), a dotted-quad IPv4 address, or a
//     bracketed IPv6 address without a zone; numeric spellings that some resolvers read as IPv4
//     ("127.1", "2130706433", "0x7f.1") are refused rather than guessed;
//   - a port of 1..65535 when one is given.
// Callers that support less (plain http only, no query) check the parsed fields themselves.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <orders/platform/result.hpp>

namespace orders::platform {

inline constexpr std::size_t kMaxHttpUrlBytes = 2048;

struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 address without its brackets
  bool ipv6_literal = false;
  std::uint16_t port = 80;           // as given, else the scheme's default
  std::string path;                  // "" or starting with '/', as written (percent-escapes untouched)
  std::optional<std::string> query;  // after '?', when the URL has one (possibly empty)

  bool https() const { return scheme == "https"; }
  std::string PortText() const { return std::to_string(port); }
  // host[:port] for a Host header: IPv6 in brackets, the port only when it is not the default.
  std::string HostHeader() const;
  // What goes on the request line: the path ("/" when empty) and the query.
  std::string Target() const;
};

// The URL, or why it is refused. The reason is one short sentence that never repeats the URL,
// fit for a client's 400 answer as well as a log ("the URL must use http or https").
Result<HttpUrl> ParseHttpUrl(std::string_view text);

}  // namespace orders::platform

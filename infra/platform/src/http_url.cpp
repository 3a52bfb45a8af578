#include <orders/platform/http_url.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace orders::platform {
namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower;
}

bool IsSchemeChar(unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; }
bool IsNameChar(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; }

bool IsNumericLabel(std::string_view label) {
  if (label.size() > 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
    return std::all_of(label.begin() + 2, label.end(), [](unsigned char c) { return std::isxdigit(c); });
  }
  return !label.empty() && std::all_of(label.begin(), label.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A DNS name or a dotted-quad. A name whose last label is a number is an IPv4 address to some
// resolvers (inet_aton reads "127.1" and "2130706433" as 127.0.0.1): only the one canonical
// spelling of an address is accepted, so that a check of the address sees what a connect uses.
bool IsAcceptableHost(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  if (!std::all_of(host.begin(), host.end(), [](unsigned char c) { return IsNameChar(c); })) return false;
  std::string_view name = host;
  if (name.back() == '.') name.remove_suffix(1);
  std::size_t start = 0;
  std::string_view last;
  while (start <= name.size()) {
    const auto dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (IsNumericLabel(last)) {
    in_addr address{};
    return name.size() == host.size() && ::inet_pton(AF_INET, host.c_str(), &address) == 1;
  }
  return true;
}

}  // namespace

std::string HttpUrl::HostHeader() const {
  std::string header = ipv6_literal ? "[" + host + "]" : host;
  const std::uint16_t default_port = https() ? 443 : 80;
  if (port != default_port) header += ":" + PortText();
  return header;
}

std::string HttpUrl::Target() const {
  std::string target = path.empty() ? "/" : path;
  if (query) target += "?" + *query;
  return target;
}

Result<HttpUrl> ParseHttpUrl(std::string_view text) {
  if (text.size() > kMaxHttpUrlBytes) return Fail("the URL is longer than 2048 bytes");
  if (text.empty()) return Fail("the URL is empty");
  if (!std::all_of(text.begin(), text.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; })) {
    return Fail("the URL contains spaces, control or non-ASCII characters");
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(text[0])) ||
      !std::all_of(text.begin(), text.begin() + colon, [](unsigned char c) { return IsSchemeChar(c); })) {
    return Fail("the URL is malformed: it needs a scheme, e.g. https://host/path");
  }
  HttpUrl url;
  url.scheme = Lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return Fail("the URL must use http or https");
  url.port = url.https() ? 443 : 80;
  if (text.substr(colon + 1, 2) != "//") return Fail("the URL is malformed: expected :// after the scheme");
  if (text.find('#') != std::string_view::npos) return Fail("the URL must not contain a fragment");
  // Some clients read a backslash as a slash, others as part of the host: neither is guessed.
  if (text.find('\\') != std::string_view::npos) return Fail("the URL must not contain a backslash");

  std::string_view rest = text.substr(colon + 3);
  const auto authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return Fail("the URL must not contain credentials");

  std::string_view host = authority;
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Fail("the URL is malformed: an IPv6 address lacks its ']'");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Fail("the URL is malformed: unexpected text after the IPv6 address");
      port = authority.substr(close + 2);
    }
    in6_addr address{};
    if (::inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) {
      return Fail("the URL's IPv6 address is malformed");
    }
    url.ipv6_literal = true;
  } else if (const auto port_colon = authority.rfind(':'); port_colon != std::string_view::npos) {
    host = authority.substr(0, port_colon);
    port = authority.substr(port_colon + 1);
  }
  if (host.empty()) return Fail("the URL has no host");
  url.host = Lower(host);
  if (!url.ipv6_literal && !IsAcceptableHost(url.host)) return Fail("the URL's host is malformed");
  if (port) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || error != std::errc() || end != port->data() + port->size() || value == 0 || value > 65535) {
      return Fail("the URL's port must be a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  const auto question = rest.find('?');
  url.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) url.query = std::string(rest.substr(question + 1));
  return url;
}

}  // namespace orders::platform

#include <orders/platform/origin_policy.hpp>

#include <algorithm>
#include <cctype>

namespace orders::platform {
namespace {

Problem Forbidden(std::string detail) { return {403, "Forbidden", std::move(detail), {}, {}}; }

bool IsDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// 127.0.0.0/8 written as four decimal octets.
bool IsLoopbackV4(std::string_view name) {
  int parts = 0;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const auto part = name.substr(start, dot - start);
    if (!IsDigits(part) || part.size() > 3 || std::stoi(std::string(part)) > 255) return false;
    if (parts == 0 && part != "127") return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

}  // namespace

std::string HostName(std::string_view host) {
  std::string name;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    name = std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  } else {
    const auto colon = host.rfind(':');
    if (colon != std::string_view::npos && IsDigits(host.substr(colon + 1))) host = host.substr(0, colon);
    name = std::string(host);
  }
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

bool IsLoopbackHost(std::string_view host) {
  const std::string name = HostName(host);
  return name == "localhost" || name == "[::1]" || IsLoopbackV4(name);
}

std::vector<std::string> PageOrigins(std::uint16_t page_port) {
  const std::string port = std::to_string(page_port);
  return {"http://127.0.0.1:" + port, "http://localhost:" + port};
}

OriginDecision CheckOrigin(const OriginRules& rules, std::optional<std::string_view> origin,
                           std::optional<std::string_view> host) {
  if (rules.check_host) {
    // HTTP/1.1 requires Host; a request without one cannot be a browser's.
    const bool loopback = host && IsLoopbackHost(*host);
    const bool listed = host && std::find(rules.allowed_hosts.begin(), rules.allowed_hosts.end(), HostName(*host)) !=
                                    rules.allowed_hosts.end();
    if (!loopback && !listed) {
      return {false, std::nullopt, Forbidden("This host name is not served while authentication is off.")};
    }
  }
  if (!origin) return {true, std::nullopt, {}};
  const auto& allowed = rules.allowed_origins;
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  const bool own =
      rules.allow_own_loopback_origin && host && IsLoopbackHost(*host) && *origin == "http://" + std::string(*host);
  if (!any && !own && std::find(allowed.begin(), allowed.end(), *origin) == allowed.end()) {
    return {false, std::nullopt, Forbidden("This origin may not call this service.")};
  }
  return {true, std::string(*origin), {}};
}

}  // namespace orders::platform

#include <orders/notifier/page_policy.hpp>

#include <algorithm>

namespace orders::notifier {
namespace {

constexpr std::string_view kPlaceholder = "{{API_ORIGINS}}";
constexpr const char* kServicePorts[] = {"8080", "8081", "8082"};

// host[:port] of letters, digits, dots, dashes (or a bracketed IPv6 address):
// nothing that could end a CSP directive or source.
bool IsPlainHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == ':' || c == '[' || c == ']';
  });
}

std::string_view HostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

}  // namespace

std::string PageWithApiOrigins(std::string_view page, const std::vector<std::string>& api_origins) {
  std::string list;
  for (const auto& origin : api_origins) list += (list.empty() ? "" : ",") + origin;
  std::string result(page);
  if (auto at = result.find(kPlaceholder); at != std::string::npos) result.replace(at, kPlaceholder.size(), list);
  return result;
}

platform::http::HeaderList PageHeaders(std::string_view host_header, const std::vector<std::string>& api_origins) {
  std::string connect = "'self'";
  if (IsPlainHost(host_header)) {
    const std::string host(host_header);
    const std::string name(HostName(host_header));
    connect += " ws://" + host + " wss://" + host;
    for (const char* port : kServicePorts) connect += std::string(" http://") + name + ":" + port;
    for (const char* port : kServicePorts) connect += std::string(" https://") + name + ":" + port;
  }
  for (const auto& origin : api_origins) connect += " " + origin;
  return {{"Content-Security-Policy",
           "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src " +
               connect + "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"Cache-Control", "no-cache"}};
}

platform::http::HeaderList AssetHeaders() {
  return {{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-cache"}};
}

}  // namespace orders::notifier

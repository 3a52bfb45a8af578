#pragma once
// Which browsers and which host names may talk to a service, decided in one
// place for the three HTTP services (both HTTP glues call it).
//
// - Origin: a request (any method, preflight included) or WebSocket upgrade
//   that carries an `Origin` outside the allowed list is refused with 403. A
//   request without `Origin` (curl, a server) is not a browser's cross-site
//   request and passes. An allowed origin is echoed exactly in CORS answers.
// - Host (DNS rebinding): with auth off, a page from any web site could reach
//   a loopback service through a DNS name that resolves to 127.0.0.1; the
//   browser then sends that name as `Host`. So with auth off `Host` must be a
//   loopback address (127.x.y.z, [::1]) or `localhost`, any port, or a name in
//   the allowed hosts list.
//
// Pure logic, no I/O; thread-safe (const).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/platform/problem.hpp>

namespace orders::platform {

struct OriginRules {
  // Exact origins ("http://localhost:8082"); "*" allows every origin.
  std::vector<std::string> allowed_origins;
  // With auth off: host names (without port) accepted besides loopback ones.
  std::vector<std::string> allowed_hosts;
  bool check_host = false;  // true when auth is off
  // The notifier serves its own page: an origin that is this very loopback
  // host (`Origin: http://<Host>`) is allowed whatever port it was given.
  bool allow_own_loopback_origin = false;
};

struct OriginDecision {
  bool allowed = true;
  // The origin to echo in Access-Control-Allow-Origin (allowed requests that carried one).
  std::optional<std::string> cors_origin;
  Problem refusal;  // when not allowed: 403
};

OriginDecision CheckOrigin(const OriginRules& rules, std::optional<std::string_view> origin,
                           std::optional<std::string_view> host);

// The origins of the notifier's page served on `page_port` of this machine:
// http://127.0.0.1:<port> and http://localhost:<port>.
std::vector<std::string> PageOrigins(std::uint16_t page_port);

// True for "127.0.0.1", "127.1.2.3:8080", "[::1]:80", "localhost", "LocalHost:1".
bool IsLoopbackHost(std::string_view host);

// The host name of a Host header value, lower-cased, without the port
// ("Example.com:8080" -> "example.com", "[::1]:80" -> "[::1]").
std::string HostName(std::string_view host);

}  // namespace orders::platform

#pragma once
// Where a webhook may be delivered. A webhook URL comes from a client, so without a policy the
// notifier would be a way into the network it runs in (its own admin ports, a cloud metadata
// service, a database). Two checks use the same rules:
//   - at registration, CheckWebhookUrl refuses URLs that are not http(s), malformed, too long, or
//     whose host is (or resolves to) an address the policy does not allow;
//   - at every delivery, ResolveTarget resolves the host again and checks EVERY address; the sender
//     connects only to an address from that checked list. A name that resolved to a public address
//     at registration and to 127.0.0.1 now (DNS rebinding) is refused then, and the resolver is
//     never asked twice for one connection.
// IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4
// 2002::/16) are judged by the IPv4 address inside.

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <orders/platform/result.hpp>

namespace orders::notifier::webhooks {

struct TargetPolicy {
  // Also allow loopback, private (RFC 1918), link-local, IPv6 unique-local and shared (CGNAT,
  // 100.64/10) addresses: for tests and for receivers on the same internal network. Unspecified,
  // multicast, broadcast and reserved addresses are never allowed.
  bool allow_private = false;
};

enum class AddressKind {
  kPublic,
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fec0::/10 (deprecated site-local)
  kLinkLocal,    // 169.254/16 (cloud metadata lives here), fe80::/10
  kUniqueLocal,  // fc00::/7
  kShared,       // 100.64/10, carrier-grade NAT
  kMulticast,    // 224/4, ff00::/8
  kUnspecified,  // 0/8, ::
  kReserved,     // documentation, benchmarking, 240/4 and broadcast, IPv6 outside 2000::/3, ...
};

// The kind of an IPv4 or IPv6 socket address (other families are kReserved).
AddressKind ClassifyAddress(const sockaddr& address);
// "loopback", "private", "link-local", ... for messages.
std::string_view DescribeAddressKind(AddressKind kind);
bool IsAllowed(AddressKind kind, const TargetPolicy& policy);

// One address the policy allows, with the port set: what the sender connects to.
struct CheckedAddress {
  sockaddr_storage address{};
  socklen_t length = 0;
};

// Resolves `host` (a name, a dotted quad or an IPv6 address without brackets; literals never touch
// DNS) and checks every address it resolves to. All of them, in the resolver's order, or a short
// reason fit for a client ("the URL's host resolves to a loopback address"). Blocks while the
// resolver works.
platform::Result<std::vector<CheckedAddress>> ResolveTarget(const std::string& host, std::uint16_t port,
                                                            const TargetPolicy& policy);

// The same, waiting for the resolver no later than `deadline` (the resolver runs on a thread of
// its own, left to finish alone when the deadline comes first: "timeout").
platform::Result<std::vector<CheckedAddress>> ResolveTarget(const std::string& host, std::uint16_t port,
                                                            const TargetPolicy& policy,
                                                            std::chrono::steady_clock::time_point deadline);

// Empty when `url` may be registered as a webhook target; else one short sentence for the client
// that never repeats the URL. Resolves names, waiting at most 5 s for the resolver ("the URL's host
// could not be resolved in time"): literal addresses return at once, but a name blocks the caller,
// so call it off any event loop (the notifier's HTTP thread is also the hub's).
std::string CheckWebhookUrl(std::string_view url, const TargetPolicy& policy);

}  // namespace orders::notifier::webhooks

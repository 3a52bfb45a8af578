// ClassifyAddress: which special-purpose range (IANA's IPv4 and IPv6 special-purpose address
// registries) an address falls in. Anything not known to be globally reachable unicast is not
// kPublic: a range forgotten here fails closed.
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>

#include <orders/notifier/webhooks/target_policy.hpp>

namespace orders::notifier::webhooks {
namespace {

constexpr std::uint32_t Ipv4(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }

bool InRange(std::uint32_t address, std::uint32_t network, int prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address & mask) == network;
}

AddressKind ClassifyIpv4(std::uint32_t a) {
  if (InRange(a, Ipv4(0, 0, 0, 0), 8)) return AddressKind::kUnspecified;
  if (InRange(a, Ipv4(127, 0, 0, 0), 8)) return AddressKind::kLoopback;
  if (InRange(a, Ipv4(10, 0, 0, 0), 8) || InRange(a, Ipv4(172, 16, 0, 0), 12) || InRange(a, Ipv4(192, 168, 0, 0), 16)) {
    return AddressKind::kPrivate;
  }
  if (InRange(a, Ipv4(169, 254, 0, 0), 16)) return AddressKind::kLinkLocal;
  if (InRange(a, Ipv4(100, 64, 0, 0), 10)) return AddressKind::kShared;
  if (InRange(a, Ipv4(224, 0, 0, 0), 4)) return AddressKind::kMulticast;
  if (InRange(a, Ipv4(192, 0, 0, 0), 24) ||     // IETF protocol assignments
      InRange(a, Ipv4(192, 0, 2, 0), 24) ||     // documentation
      InRange(a, Ipv4(198, 51, 100, 0), 24) ||  // documentation
      InRange(a, Ipv4(203, 0, 113, 0), 24) ||   // documentation
      InRange(a, Ipv4(192, 88, 99, 0), 24) ||   // 6to4 relay anycast (deprecated)
      InRange(a, Ipv4(198, 18, 0, 0), 15) ||    // benchmarking
      InRange(a, Ipv4(240, 0, 0, 0), 4)) {      // reserved, and 255.255.255.255 broadcast
    return AddressKind::kReserved;
  }
  return AddressKind::kPublic;
}

std::uint32_t Ipv4At(const std::array<std::uint8_t, 16>& bytes, std::size_t at) {
  return std::uint32_t{bytes[at]} << 24 | std::uint32_t{bytes[at + 1]} << 16 | std::uint32_t{bytes[at + 2]} << 8 |
         bytes[at + 3];
}

bool StartsWith(const std::array<std::uint8_t, 16>& bytes, std::initializer_list<std::uint8_t> prefix) {
  return std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

AddressKind ClassifyIpv6(const std::array<std::uint8_t, 16>& b) {
  const bool first_ten_zero = StartsWith(b, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  if (first_ten_zero && b[10] == 0xff && b[11] == 0xff) return ClassifyIpv4(Ipv4At(b, 12));  // ::ffff:a.b.c.d
  if (first_ten_zero && b[10] == 0 && b[11] == 0) {
    if (Ipv4At(b, 12) == 0) return AddressKind::kUnspecified;
    if (Ipv4At(b, 12) == 1) return AddressKind::kLoopback;
    return AddressKind::kReserved;  // ::a.b.c.d, the deprecated IPv4-compatible form
  }
  if (StartsWith(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) return ClassifyIpv4(Ipv4At(b, 12));  // NAT64
  if (StartsWith(b, {0x20, 0x02})) return ClassifyIpv4(Ipv4At(b, 2));                                       // 6to4
  if (b[0] == 0xff) return AddressKind::kMulticast;
  if ((b[0] & 0xfe) == 0xfc) return AddressKind::kUniqueLocal;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressKind::kLinkLocal;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressKind::kPrivate;     // site-local
  if ((b[0] & 0xe0) != 0x20) return AddressKind::kReserved;                    // outside 2000::/3 global unicast
  if (StartsWith(b, {0x20, 0x01, 0x0d, 0xb8})) return AddressKind::kReserved;  // documentation
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) return AddressKind::kReserved;  // 3fff::/20 documentation
  // 2001::/23: IETF protocol assignments (Teredo, ORCHID, benchmarking, ...).
  if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xfe) == 0) return AddressKind::kReserved;
  return AddressKind::kPublic;
}

}  // namespace

AddressKind ClassifyAddress(const sockaddr& address) {
  if (address.sa_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &address, sizeof v4);
    return ClassifyIpv4(ntohl(v4.sin_addr.s_addr));
  }
  if (address.sa_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &address, sizeof v6);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &v6.sin6_addr, bytes.size());
    return ClassifyIpv6(bytes);
  }
  return AddressKind::kReserved;
}

std::string_view DescribeAddressKind(AddressKind kind) {
  switch (kind) {
    case AddressKind::kPublic:
      return "public";
    case AddressKind::kLoopback:
      return "loopback";
    case AddressKind::kPrivate:
      return "private";
    case AddressKind::kLinkLocal:
      return "link-local";
    case AddressKind::kUniqueLocal:
      return "unique-local";
    case AddressKind::kShared:
      return "shared (carrier-grade NAT)";
    case AddressKind::kMulticast:
      return "multicast";
    case AddressKind::kUnspecified:
      return "unspecified";
    case AddressKind::kReserved:
      return "reserved";
  }
  return "reserved";
}

bool IsAllowed(AddressKind kind, const TargetPolicy& policy) {
  switch (kind) {
    case AddressKind::kPublic:
      return true;
    case AddressKind::kLoopback:
    case AddressKind::kPrivate:
    case AddressKind::kLinkLocal:
    case AddressKind::kUniqueLocal:
    case AddressKind::kShared:
      return policy.allow_private;
    case AddressKind::kMulticast:
    case AddressKind::kUnspecified:
    case AddressKind::kReserved:
      return false;
  }
  return false;
}

}  // namespace orders::notifier::webhooks

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include <orders/notifier/webhooks/target_policy.hpp>

namespace orders::notifier::webhooks {
namespace {

// The kind of a literal address, through the same sockaddr path the sender uses.
AddressKind KindOf(const std::string& literal) {
  sockaddr_storage storage{};
  if (literal.find(':') != std::string::npos) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    EXPECT_EQ(::inet_pton(AF_INET6, literal.c_str(), &v6->sin6_addr), 1) << literal;
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    EXPECT_EQ(::inet_pton(AF_INET, literal.c_str(), &v4->sin_addr), 1) << literal;
  }
  return ClassifyAddress(*reinterpret_cast<const sockaddr*>(&storage));
}

TEST(AddressKind, Ipv4SpecialRanges) {
  EXPECT_EQ(KindOf("0.0.0.0"), AddressKind::kUnspecified);
  EXPECT_EQ(KindOf("0.1.2.3"), AddressKind::kUnspecified);
  EXPECT_EQ(KindOf("127.0.0.1"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("127.255.255.254"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("10.0.0.1"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("172.16.0.1"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("172.31.255.255"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("192.168.1.1"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("169.254.169.254"), AddressKind::kLinkLocal);
  EXPECT_EQ(KindOf("100.64.0.1"), AddressKind::kShared);
  EXPECT_EQ(KindOf("100.127.255.255"), AddressKind::kShared);
  EXPECT_EQ(KindOf("224.0.0.1"), AddressKind::kMulticast);
  EXPECT_EQ(KindOf("239.255.255.250"), AddressKind::kMulticast);
  EXPECT_EQ(KindOf("255.255.255.255"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("240.0.0.1"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("192.0.2.10"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("198.18.0.1"), AddressKind::kReserved);
}

TEST(AddressKind, Ipv4NeighboursOfSpecialRangesArePublic) {
  for (const char* literal : {"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
                              "126.255.255.255", "128.0.0.0", "169.253.255.255", "172.15.255.255", "172.32.0.0",
                              "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255"}) {
    EXPECT_EQ(KindOf(literal), AddressKind::kPublic) << literal;
  }
}

TEST(AddressKind, Ipv6SpecialRanges) {
  EXPECT_EQ(KindOf("::"), AddressKind::kUnspecified);
  EXPECT_EQ(KindOf("::1"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("fe80::1"), AddressKind::kLinkLocal);
  EXPECT_EQ(KindOf("febf::1"), AddressKind::kLinkLocal);
  EXPECT_EQ(KindOf("fec0::1"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("fc00::1"), AddressKind::kUniqueLocal);
  EXPECT_EQ(KindOf("fd12:3456::1"), AddressKind::kUniqueLocal);
  EXPECT_EQ(KindOf("ff02::1"), AddressKind::kMulticast);
  EXPECT_EQ(KindOf("2001:db8::1"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("2001::1"), AddressKind::kReserved) << "Teredo";
  EXPECT_EQ(KindOf("100::1"), AddressKind::kReserved) << "discard-only";
  EXPECT_EQ(KindOf("3fff::1"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("::7f00:1"), AddressKind::kReserved) << "IPv4-compatible, deprecated";
  EXPECT_EQ(KindOf("2606:4700:4700::1111"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("2a00:1450:4001::1"), AddressKind::kPublic);
}

TEST(AddressKind, Ipv6FormsCarryingIpv4AreJudgedByTheIpv4Inside) {
  EXPECT_EQ(KindOf("::ffff:127.0.0.1"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("::ffff:7f00:1"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("::ffff:10.1.2.3"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("::ffff:169.254.169.254"), AddressKind::kLinkLocal);
  EXPECT_EQ(KindOf("::ffff:0.0.0.0"), AddressKind::kUnspecified);
  EXPECT_EQ(KindOf("::ffff:8.8.8.8"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("64:ff9b::a9fe:a9fe"), AddressKind::kLinkLocal) << "NAT64 of 169.254.169.254";
  EXPECT_EQ(KindOf("64:ff9b::808:808"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("2002:c0a8:0101::1"), AddressKind::kPrivate) << "6to4 of 192.168.1.1";
  EXPECT_EQ(KindOf("2002:0808:0808::1"), AddressKind::kPublic);
}

TEST(TargetPolicy, InternalKindsNeedAllowPrivateAndSomeAreNeverAllowed) {
  const TargetPolicy strict;
  const TargetPolicy lenient{.allow_private = true};
  EXPECT_TRUE(IsAllowed(AddressKind::kPublic, strict));
  for (AddressKind kind : {AddressKind::kLoopback, AddressKind::kPrivate, AddressKind::kLinkLocal,
                           AddressKind::kUniqueLocal, AddressKind::kShared}) {
    EXPECT_FALSE(IsAllowed(kind, strict)) << DescribeAddressKind(kind);
    EXPECT_TRUE(IsAllowed(kind, lenient)) << DescribeAddressKind(kind);
  }
  for (AddressKind kind : {AddressKind::kMulticast, AddressKind::kUnspecified, AddressKind::kReserved}) {
    EXPECT_FALSE(IsAllowed(kind, lenient)) << DescribeAddressKind(kind);
  }
}

TEST(CheckWebhookUrl, AcceptsPublicLiteralAddressesOverHttpAndHttps) {
  const TargetPolicy strict;
  EXPECT_EQ(CheckWebhookUrl("https://93.184.215.14/hooks/orders?team=1", strict), "");
  EXPECT_EQ(CheckWebhookUrl("http://8.8.8.8:8080/", strict), "");
  EXPECT_EQ(CheckWebhookUrl("https://[2606:4700:4700::1111]/in", strict), "");
}

TEST(CheckWebhookUrl, RefusesOtherSchemesMalformedAndOverlongUrls) {
  const TargetPolicy lenient{.allow_private = true};
  EXPECT_EQ(CheckWebhookUrl("file:///etc/passwd", lenient), "the URL must use http or https");
  EXPECT_EQ(CheckWebhookUrl("gopher://127.0.0.1:6379/_INFO", lenient), "the URL must use http or https");
  EXPECT_EQ(CheckWebhookUrl("not a url", lenient), "the URL contains spaces, control or non-ASCII characters");
  EXPECT_EQ(CheckWebhookUrl("http://user:secret@8.8.8.8/", lenient), "the URL must not contain credentials");
  EXPECT_EQ(CheckWebhookUrl("http://8.8.8.8/#x", lenient), "the URL must not contain a fragment");
  EXPECT_EQ(CheckWebhookUrl("http://8.8.8.8/" + std::string(3000, 'a'), lenient), "the URL is longer than 2048 bytes");
  EXPECT_EQ(CheckWebhookUrl("http://2130706433/", lenient), "the URL's host is malformed");
}

TEST(CheckWebhookUrl, RefusesInternalLiteralsUnlessPrivateTargetsAreAllowed) {
  const TargetPolicy strict;
  const TargetPolicy lenient{.allow_private = true};
  const std::pair<const char*, const char*> cases[] = {
      {"http://127.0.0.1:9000/", "the URL's host is a loopback address, which is not allowed"},
      {"http://[::1]/", "the URL's host is a loopback address, which is not allowed"},
      {"http://10.0.0.8/", "the URL's host is a private address, which is not allowed"},
      {"http://169.254.169.254/latest/meta-data/", "the URL's host is a link-local address, which is not allowed"},
      {"http://[fe80::1]/", "the URL's host is a link-local address, which is not allowed"},
      {"http://[fd00::5]/", "the URL's host is a unique-local address, which is not allowed"},
      {"http://100.64.1.1/", "the URL's host is a shared (carrier-grade NAT) address, which is not allowed"},
      {"http://[::ffff:127.0.0.1]/", "the URL's host is a loopback address, which is not allowed"},
      {"http://[::ffff:192.168.0.1]/", "the URL's host is a private address, which is not allowed"},
  };
  for (const auto& [url, reason] : cases) {
    EXPECT_EQ(CheckWebhookUrl(url, strict), reason) << url;
    EXPECT_EQ(CheckWebhookUrl(url, lenient), "") << url;
  }
}

TEST(CheckWebhookUrl, RefusesMulticastUnspecifiedAndReservedEvenWhenPrivateTargetsAreAllowed) {
  const TargetPolicy lenient{.allow_private = true};
  EXPECT_EQ(CheckWebhookUrl("http://0.0.0.0:8080/", lenient),
            "the URL's host is an unspecified address, which is not allowed");
  EXPECT_EQ(CheckWebhookUrl("http://[::]/", lenient), "the URL's host is an unspecified address, which is not allowed");
  EXPECT_EQ(CheckWebhookUrl("http://224.0.0.1/", lenient),
            "the URL's host is a multicast address, which is not allowed");
  EXPECT_EQ(CheckWebhookUrl("http://255.255.255.255/", lenient),
            "the URL's host is a reserved address, which is not allowed");
}

// localhost comes from /etc/hosts: a name, resolved, then judged by its addresses.
TEST(CheckWebhookUrl, NamesAreJudgedByTheAddressesTheyResolveTo) {
  EXPECT_EQ(CheckWebhookUrl("http://localhost:8080/hook", TargetPolicy{}),
            "the URL's host resolves to a loopback address, which is not allowed");
  EXPECT_EQ(CheckWebhookUrl("http://LOCALHOST:8080/hook", TargetPolicy{.allow_private = true}), "");
}

TEST(ResolveTarget, ReturnsTheCheckedAddressWithThePortSet) {
  const auto checked = ResolveTarget("127.0.0.1", 4321, TargetPolicy{.allow_private = true});
  ASSERT_TRUE(checked) << checked.error().message;
  ASSERT_EQ(checked->size(), 1u);
  const auto& only = checked->front();
  ASSERT_EQ(only.address.ss_family, AF_INET);
  sockaddr_in v4{};
  std::memcpy(&v4, &only.address, sizeof v4);
  EXPECT_EQ(ntohs(v4.sin_port), 4321);
  EXPECT_EQ(ntohl(v4.sin_addr.s_addr), 0x7f000001u);
  EXPECT_EQ(only.length, sizeof(sockaddr_in));
  EXPECT_FALSE(ResolveTarget("127.0.0.1", 4321, TargetPolicy{}));
}

}  // namespace
}  // namespace orders::notifier::webhooks

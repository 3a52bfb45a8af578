#include <gtest/gtest.h>

#include <orders/platform/origin_policy.hpp>

namespace orders::platform {
namespace {

const OriginRules kPageOnly{PageOrigins(8082), {}, false, false};

TEST(OriginPolicy, RequestsWithoutAnOriginPass) {
  const auto decision = CheckOrigin(kPageOnly, std::nullopt, "127.0.0.1:8080");
  EXPECT_TRUE(decision.allowed);
  EXPECT_FALSE(decision.cors_origin);
}

TEST(OriginPolicy, ThePageOriginsAreAllowedAndEchoedExactly) {
  for (const char* origin : {"http://127.0.0.1:8082", "http://localhost:8082"}) {
    const auto decision = CheckOrigin(kPageOnly, origin, "127.0.0.1:8080");
    EXPECT_TRUE(decision.allowed) << origin;
    EXPECT_EQ(decision.cors_origin, origin);
  }
}

TEST(OriginPolicy, AForeignOriginIsRefusedWith403) {
  for (const char* origin : {"http://evil.example", "http://localhost:8083", "null",
                             "http://localhost:8082.evil.example", "https://localhost:8082", "HTTP://LOCALHOST:8082"}) {
    const auto decision = CheckOrigin(kPageOnly, origin, "127.0.0.1:8080");
    EXPECT_FALSE(decision.allowed) << origin;
    EXPECT_EQ(decision.refusal.status, 403) << origin;
  }
}

TEST(OriginPolicy, AStarAllowsEveryOrigin) {
  const OriginRules any{{"*"}, {}, false, false};
  const auto decision = CheckOrigin(any, "https://shop.example", "api.example");
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.cors_origin, "https://shop.example");
}

TEST(OriginPolicy, WithAuthOffOnlyLoopbackOrListedHostsAreServed) {
  const OriginRules rules{PageOrigins(8082), {"orders.internal"}, true, false};
  for (const char* host : {"127.0.0.1:8080", "127.5.6.7", "localhost", "LOCALHOST:8081", "[::1]:8080", "[::1]",
                           "orders.internal:8080", "Orders.Internal"}) {
    EXPECT_TRUE(CheckOrigin(rules, std::nullopt, host).allowed) << host;
  }
  for (const char* host : {"evil.example", "evil.example:8080", "127.0.0.1.evil.example", "128.0.0.1", "localhost.evil",
                           "[::2]:80", "127.0.0.256", ""}) {
    const auto decision = CheckOrigin(rules, std::nullopt, host);
    EXPECT_FALSE(decision.allowed) << host;
    EXPECT_EQ(decision.refusal.status, 403) << host;
  }
  EXPECT_FALSE(CheckOrigin(rules, std::nullopt, std::nullopt).allowed) << "no Host at all";
}

TEST(OriginPolicy, WithAuthOnAnyHostIsServed) {
  EXPECT_TRUE(CheckOrigin(kPageOnly, std::nullopt, "api.example.com").allowed);
}

TEST(OriginPolicy, ARebindingPageIsRefusedEvenWhenItsOriginMatchesItsHost) {
  OriginRules notifier{PageOrigins(8082), {}, true, true};
  EXPECT_FALSE(CheckOrigin(notifier, "http://evil.example:8082", "evil.example:8082").allowed);
}

TEST(OriginPolicy, TheNotifierAllowsItsOwnLoopbackOriginOnAnyPort) {
  OriginRules notifier{PageOrigins(8082), {}, false, true};
  EXPECT_TRUE(CheckOrigin(notifier, "http://127.0.0.1:40123", "127.0.0.1:40123").allowed);
  EXPECT_FALSE(CheckOrigin(notifier, "http://127.0.0.1:40124", "127.0.0.1:40123").allowed);
  OriginRules api{PageOrigins(8082), {}, false, false};
  EXPECT_FALSE(CheckOrigin(api, "http://127.0.0.1:40123", "127.0.0.1:40123").allowed);
}

TEST(OriginPolicy, HostNamesLoseTheirPortAndCase) {
  EXPECT_EQ(HostName("Example.COM:8080"), "example.com");
  EXPECT_EQ(HostName("[::1]:80"), "[::1]");
  EXPECT_EQ(HostName("localhost"), "localhost");
}

}  // namespace
}  // namespace orders::platform

#include <gtest/gtest.h>

#include <orders/platform/caller_limiter.hpp>

namespace orders::platform {
namespace {

using namespace std::chrono_literals;

struct ManualClock {
  RateLimiter::Clock::time_point now = RateLimiter::Clock::time_point() + 1h;
  RateLimiter::Now Function() {
    return [this] { return now; };
  }
};

Principal Caller(std::string subject, Role role) { return Principal{std::move(subject), role}; }

std::string HeaderOf(const LimitRefusal& refusal, const std::string& name) {
  for (const auto& [key, value] : refusal.headers) {
    if (key == name) return value;
  }
  return {};
}

class CallerLimiterTest : public ::testing::Test {
 protected:
  CallerLimiter Make(bool enabled = true) {
    return CallerLimiter("command", enabled, RateLimitSettings{}.requests, 1000, registry_, clock_.Function());
  }
  MetricsRegistry registry_;
  ManualClock clock_;
};

TEST_F(CallerLimiterTest, ACallerOverItsBurstGets429WithRetryAfterAndTheDraftHeaders) {
  auto limiter = Make();
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(limiter.Admit(std::nullopt, "10.0.0.1")) << i;
  const auto refusal = limiter.Admit(std::nullopt, "10.0.0.1");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->problem.status, 429);
  EXPECT_EQ(HeaderOf(*refusal, "Retry-After"), "1");
  EXPECT_EQ(HeaderOf(*refusal, "RateLimit-Policy"), "\"anonymous\";q=100;w=5");
  EXPECT_EQ(HeaderOf(*refusal, "RateLimit"), "\"anonymous\";r=0;t=1");
  EXPECT_NE(registry_.Render().find("orders_rate_limited_total{api=\"command\",role=\"anonymous\"} 1"),
            std::string::npos)
      << registry_.Render();
}

TEST_F(CallerLimiterTest, PrincipalsAreLimitedApartFromEachOtherAndFromTheirAddress) {
  auto limiter = Make();
  for (int i = 0; i < 100; ++i) limiter.Admit(Caller("alice", Role::kCustomer), "10.0.0.1");
  EXPECT_TRUE(limiter.Admit(Caller("alice", Role::kCustomer), "10.0.0.1"));
  EXPECT_FALSE(limiter.Admit(Caller("bob", Role::kCustomer), "10.0.0.1"));
  EXPECT_FALSE(limiter.Admit(std::nullopt, "10.0.0.1"));
}

TEST_F(CallerLimiterTest, StaffHaveAHigherLimitAndServicesNone) {
  auto limiter = Make();
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.Admit(Caller("ops", Role::kStaff), "10.0.0.1")) << i;
  const auto refusal = limiter.Admit(Caller("ops", Role::kStaff), "10.0.0.1");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(HeaderOf(*refusal, "RateLimit-Policy"), "\"staff\";q=1000;w=5");
  for (int i = 0; i < 5000; ++i) ASSERT_FALSE(limiter.Admit(Caller("checkout", Role::kService), "10.0.0.1"));
  EXPECT_EQ(limiter.keys(), 1u);  // the staff member; services take no bucket
}

TEST_F(CallerLimiterTest, OffMeansNoLimit) {
  auto limiter = Make(false);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.Admit(std::nullopt, "10.0.0.1"));
}

TEST_F(CallerLimiterTest, TheKeyCountIsExported) {
  auto limiter = Make();
  for (int i = 0; i < 5000; ++i)
    limiter.Admit(std::nullopt, "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  EXPECT_EQ(limiter.keys(), 1000u);
  EXPECT_NE(registry_.Render().find("orders_rate_limiter_keys{api=\"command\"} 1000"), std::string::npos);
}

TEST(AddressKey, IPv6CallersAreKeyedByTheirSlash64AndMappedIPv4ByTheIPv4Address) {
  EXPECT_EQ(AddressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "ip:2001:db8:1:2::/64");
  EXPECT_EQ(AddressKey("2001:db8:1:2::1"), AddressKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(AddressKey("2001:db8:1:2::1"), AddressKey("2001:db8:1:3::1"));
  EXPECT_EQ(AddressKey("::ffff:10.1.2.3"), "ip:10.1.2.3");
  EXPECT_EQ(AddressKey("10.1.2.3"), "ip:10.1.2.3");
}

}  // namespace
}  // namespace orders::platform

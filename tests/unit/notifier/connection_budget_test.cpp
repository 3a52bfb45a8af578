#include <gtest/gtest.h>

#include <orders/notifier/connection_budget.hpp>
#include <orders/notifier/page_policy.hpp>
#include <orders/platform/config.hpp>

namespace orders::notifier {
namespace {

TEST(ConnectionBudget, StaysBelowTheDescriptorLimitWithRoomForKafkaAndPlainHttp) {
  const auto budget = BudgetConnections(64, 8, 0);
  EXPECT_LT(budget.http, 64u - 8u);
  EXPECT_GT(budget.websockets, 16u);
  EXPECT_GE(budget.http, budget.websockets + 4);
  EXPECT_FALSE(budget.clamped);
}

TEST(ConnectionBudget, DefaultGrowsWithTheLimitInsteadOfAFixedNumber) {
  EXPECT_GT(BudgetConnections(1 << 20, 20, 0).websockets, 1'000'000u);
  EXPECT_GT(BudgetConnections(65536, 20, 0).websockets, 4096u);
}

TEST(ConnectionBudget, ConfiguredLimitIsUsedWhenItFitsAndClampedWhenNot) {
  EXPECT_EQ(BudgetConnections(65536, 20, 1000).websockets, 1000u);
  const auto clamped = BudgetConnections(64, 8, 1000);
  EXPECT_TRUE(clamped.clamped);
  EXPECT_LT(clamped.http, 64u);
}

TEST(ConnectionBudget, MoreInternalClientsKeepMoreDescriptorsButLeaveRoomAtASmallLimit) {
  const auto base = BudgetConnections(65536, 20, 0);
  const auto more = BudgetConnections(65536, 20, 0, kBaseFdReserve + 52);
  EXPECT_EQ(base.websockets - more.websockets, 52u);
  const auto small = BudgetConnections(64, 11, 0, kBaseFdReserve + 52);
  EXPECT_LT(small.websockets, BudgetConnections(64, 11, 0).websockets);
  EXPECT_GT(small.websockets, 8u);
}

TEST(ConnectionBudget, NoDescriptorsLeftStillAllowsOne) { EXPECT_EQ(BudgetConnections(10, 20, 0).websockets, 1u); }

// Notifier settings, read with a valid key source so auth does not refuse the start.
platform::ConfigResult LoadWithSecret(const platform::ConfigDefaults& defaults,
                                      std::map<std::string, std::string> environment,
                                      const std::vector<std::string>& arguments) {
  environment.emplace("JWT_SECRET", "a-secret-of-thirty-two-bytes-or-more");
  return platform::LoadConfig(defaults, environment, arguments);
}

TEST(NotifierConfig, MaxConnectionsAndPageApiOriginsAreReadAndChecked) {
  const platform::ConfigDefaults defaults{"notifier", 8082, ""};
  const auto good = LoadWithSecret(
      defaults, {{"MAX_CONNECTIONS", "500"}, {"PAGE_API_ORIGINS", "https://api.example.com, http://10.0.0.5:9000"}},
      {});
  ASSERT_TRUE(good.config);
  EXPECT_EQ(good.config->max_connections, 500u);
  EXPECT_EQ(good.config->page_api_origins,
            (std::vector<std::string>{"https://api.example.com", "http://10.0.0.5:9000"}));
  EXPECT_EQ(LoadWithSecret(defaults, {}, {}).config->max_connections, 0u);
  EXPECT_EQ(LoadWithSecret(defaults, {{"MAX_CONNECTIONS", "-1"}}, {}).problems.size(), 1u);
  for (const char* bad :
       {"api.example.com", "https://api.example.com/", "javascript:alert(1)", "https://a.example; script-src *"}) {
    EXPECT_EQ(LoadWithSecret(defaults, {{"PAGE_API_ORIGINS", bad}}, {}).problems.size(), 1u) << bad;
  }
}

TEST(NotifierConfig, CommandApiUrlIsReadOnceAndChecked) {
  const platform::ConfigDefaults defaults{"notifier", 8082, ""};
  EXPECT_EQ(LoadWithSecret(defaults, {}, {}).config->command_api_url, "http://127.0.0.1:8080");
  EXPECT_EQ(
      LoadWithSecret(defaults, {{"COMMAND_API_URL", "http://commands.internal:9000/api"}}, {}).config->command_api_url,
      "http://commands.internal:9000/api");
  EXPECT_EQ(LoadWithSecret(defaults, {}, {"--command-api-url=http://10.0.0.7:8080"}).config->command_api_url,
            "http://10.0.0.7:8080");
  for (const char* bad : {"https://commands.internal", "commands.internal:8080", "http://", "http://user@host",
                          "http://host/?q=1", "http:///orders"}) {
    EXPECT_EQ(LoadWithSecret(defaults, {{"COMMAND_API_URL", bad}}, {}).problems.size(), 1u) << bad;
  }
}

TEST(PagePolicy, ConnectSrcNamesOnlyThePagesHostAndConfiguredOrigins) {
  const auto headers = PageHeaders("shop.example:8082", {"https://api.shop.example"});
  const std::string csp = headers.at(0).second;
  EXPECT_NE(csp.find("connect-src 'self' ws://shop.example:8082 wss://shop.example:8082 http://shop.example:8080 "),
            std::string::npos)
      << csp;
  EXPECT_NE(csp.find(" https://api.shop.example;"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  const std::string odd = PageHeaders("evil.example; script-src *", {}).at(0).second;
  EXPECT_EQ(odd.find("evil"), std::string::npos) << odd;
  EXPECT_EQ(PageWithApiOrigins(R"(<meta content="{{API_ORIGINS}}">)", {"https://a.example", "https://b.example"}),
            R"(<meta content="https://a.example,https://b.example">)");
}

}  // namespace
}  // namespace orders::notifier

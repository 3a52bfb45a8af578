#include <gtest/gtest.h>

#include <orders/notifier/page_settings.hpp>

namespace orders::notifier {
namespace {

TEST(PageSettings, TheWorkflowIsOnUnlessWorkflowIsOff) {
  EXPECT_TRUE(LoadPageSettings({}).settings->workflow);
  EXPECT_TRUE(LoadPageSettings({{"WORKFLOW", "on"}}).settings->workflow);
  EXPECT_TRUE(LoadPageSettings({{"WORKFLOW", ""}}).settings->workflow);
  EXPECT_FALSE(LoadPageSettings({{"WORKFLOW", "off"}}).settings->workflow);
}

TEST(PageSettings, AnyOtherWorkflowValueIsAProblemNamingIt) {
  for (const char* bad : {"yes", "OFF", "0", "on "}) {
    const auto result = LoadPageSettings({{"WORKFLOW", bad}});
    EXPECT_FALSE(result.settings) << bad;
    ASSERT_EQ(result.problems.size(), 1u) << bad;
    EXPECT_NE(result.problems[0].find("WORKFLOW"), std::string::npos);
  }
}

TEST(PageSettings, ThePageCarriesTheWorkflowSettingInItsMetaTag) {
  const std::string page = R"(<meta name="orders-workflow" content="{{WORKFLOW}}">)";
  EXPECT_EQ(PageWithSettings(page, {.workflow = true}), R"(<meta name="orders-workflow" content="on">)");
  EXPECT_EQ(PageWithSettings(page, {.workflow = false}), R"(<meta name="orders-workflow" content="off">)");
}

}  // namespace
}  // namespace orders::notifier

// The checker's command line (checker_arguments.hpp): its defaults check
// what was checked before the workflow, flags win over the environment, and
// a bad value is an error, never a silent default.
#include <gtest/gtest.h>

#include <orders/invariants/checker_arguments.hpp>

namespace orders::invariants {
namespace {

using std::chrono::milliseconds;

ParsedArguments Parse(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& env = {}) {
  return ParseCheckerArguments(arguments, env);
}

TEST(CheckerArguments, WithOnlyATopicTheWorkflowRulesAreOffAndTheInventoryTopicIsTheDefault) {
  const auto parsed =
      Parse({"--topic", "orders.events", "--schema", "s1", "--acknowledged", "acks.jsonl", "sub.jsonl"});
  ASSERT_TRUE(parsed.arguments) << parsed.error;
  EXPECT_EQ(parsed.arguments->topic, "orders.events");
  EXPECT_EQ(parsed.arguments->schema, "s1");
  EXPECT_EQ(parsed.arguments->acknowledged, "acks.jsonl");
  EXPECT_EQ(parsed.arguments->subscriber_files, std::vector<std::string>{"sub.jsonl"});
  EXPECT_EQ(parsed.arguments->options.inventory_topic, "inventory.events");
  EXPECT_FALSE(parsed.arguments->options.workflow);
}

TEST(CheckerArguments, TheEnvironmentGivesTheInventoryTopicWorkflowAndPaymentTimeout) {
  const auto parsed =
      Parse({"--topic", "t"}, {{"INVENTORY_TOPIC", "stock.v2"}, {"WORKFLOW", "on"}, {"PAYMENT_TIMEOUT", "90s"}});
  ASSERT_TRUE(parsed.arguments) << parsed.error;
  EXPECT_EQ(parsed.arguments->options.inventory_topic, "stock.v2");
  ASSERT_TRUE(parsed.arguments->options.workflow);
  EXPECT_EQ(parsed.arguments->options.workflow->payment_timeout, milliseconds(90'000));
  EXPECT_EQ(parsed.arguments->options.workflow->slack, milliseconds(30'000));
}

TEST(CheckerArguments, FlagsWinOverTheEnvironment) {
  const auto parsed =
      Parse({"--topic", "t", "--inventory-topic", "mine", "--payment-timeout", "2s", "--deadline-slack", "500ms"},
            {{"INVENTORY_TOPIC", "stock.v2"}, {"WORKFLOW", "on"}, {"PAYMENT_TIMEOUT", "90s"}});
  ASSERT_TRUE(parsed.arguments) << parsed.error;
  EXPECT_EQ(parsed.arguments->options.inventory_topic, "mine");
  EXPECT_EQ(parsed.arguments->options.workflow->payment_timeout, milliseconds(2'000));
  EXPECT_EQ(parsed.arguments->options.workflow->slack, milliseconds(500));

  const auto off = Parse({"--topic", "t", "--no-workflow", "--no-inventory"}, {{"WORKFLOW", "on"}});
  ASSERT_TRUE(off.arguments) << off.error;
  EXPECT_FALSE(off.arguments->options.workflow);
  EXPECT_EQ(off.arguments->options.inventory_topic, "");

  const auto on = Parse({"--topic", "t", "--workflow"}, {{"WORKFLOW", "off"}});
  ASSERT_TRUE(on.arguments) << on.error;
  EXPECT_EQ(on.arguments->options.workflow->payment_timeout, milliseconds(15 * 60'000));
}

TEST(CheckerArguments, BadValuesAreErrors) {
  EXPECT_NE(Parse({}).error.find("--topic is required"), std::string::npos);
  EXPECT_NE(Parse({"--topic", "t", "--frobnicate"}).error.find("unknown option"), std::string::npos);
  EXPECT_NE(Parse({"--topic"}).error.find("missing value: --topic"), std::string::npos);
  EXPECT_NE(Parse({"--topic", "t"}, {{"WORKFLOW", "maybe"}}).error.find("WORKFLOW must be on or off"),
            std::string::npos);
  EXPECT_NE(Parse({"--topic", "t", "--workflow", "--payment-timeout", "soon"}).error.find("not soon"),
            std::string::npos);
  EXPECT_NE(Parse({"--topic", "t", "--workflow", "--deadline-slack", "-1s"}).error.find("--deadline-slack"),
            std::string::npos);
  EXPECT_NE(Parse({"--topic", "t", "--payment-timeout", "2s"}).error.find("need --workflow"), std::string::npos);
  EXPECT_NE(Parse({"--topic", "t", "--inventory-topic", ""}).error.find("needs a name"), std::string::npos);
  EXPECT_FALSE(Parse({"--topic", "t"}, {{"WORKFLOW", "on"}, {"PAYMENT_TIMEOUT", "15 minutes"}}).arguments);
}

}  // namespace
}  // namespace orders::invariants

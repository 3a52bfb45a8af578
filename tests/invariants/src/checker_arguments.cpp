#include <orders/invariants/checker_arguments.hpp>

#include <orders/command/payment_config.hpp>

namespace orders::invariants {
namespace {

constexpr const char* kUsage =
    "usage: orders_check_invariants --topic T [--schema S] [--acknowledged FILE] "
    "[--inventory-topic T | --no-inventory] [--workflow | --no-workflow] [--payment-timeout D] "
    "[--deadline-slack D] [SUBSCRIBER...]";

const std::string* Find(const std::map<std::string, std::string>& environment, const std::string& name) {
  const auto it = environment.find(name);
  return it == environment.end() ? nullptr : &it->second;
}

ParsedArguments Error(const std::string& what) { return {std::nullopt, what + "\n" + kUsage}; }

}  // namespace

ParsedArguments ParseCheckerArguments(const std::vector<std::string>& arguments,
                                      const std::map<std::string, std::string>& environment) {
  CheckerArguments parsed;
  const auto* inventory_topic = Find(environment, "INVENTORY_TOPIC");
  parsed.options.inventory_topic = inventory_topic ? *inventory_topic : "inventory.events";
  bool workflow = false;
  if (const auto* setting = Find(environment, "WORKFLOW")) {
    if (*setting != "on" && *setting != "off") return Error("WORKFLOW must be on or off, not " + *setting);
    workflow = *setting == "on";
  }
  std::optional<std::string> payment_timeout, slack;
  if (const auto* setting = Find(environment, "PAYMENT_TIMEOUT")) payment_timeout = *setting;
  bool timing_flags = false;

  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const auto& argument = arguments[i];
    const bool has_value = i + 1 < arguments.size();
    if (argument == "--topic" && has_value) {
      parsed.topic = arguments[++i];
    } else if (argument == "--schema" && has_value) {
      parsed.schema = arguments[++i];
    } else if (argument == "--acknowledged" && has_value) {
      parsed.acknowledged = arguments[++i];
    } else if (argument == "--inventory-topic" && has_value) {
      parsed.options.inventory_topic = arguments[++i];
      if (parsed.options.inventory_topic.empty()) return Error("--inventory-topic needs a name (or --no-inventory)");
    } else if (argument == "--no-inventory") {
      parsed.options.inventory_topic.clear();
    } else if (argument == "--workflow") {
      workflow = true;
    } else if (argument == "--no-workflow") {
      workflow = false;
    } else if (argument == "--payment-timeout" && has_value) {
      payment_timeout = arguments[++i];
      timing_flags = true;
    } else if (argument == "--deadline-slack" && has_value) {
      slack = arguments[++i];
      timing_flags = true;
    } else if (argument.rfind("--", 0) == 0) {
      return Error("unknown option or missing value: " + argument);
    } else {
      parsed.subscriber_files.push_back(argument);
    }
  }
  if (parsed.topic.empty()) return Error("--topic is required");
  if (timing_flags && !workflow) return Error("--payment-timeout and --deadline-slack need --workflow");
  if (workflow) {
    WorkflowOptions options;
    if (payment_timeout) {
      const auto duration = command::ParseDuration(*payment_timeout);
      if (!duration)
        return Error("the payment timeout must be a duration like 900s, 15m or 1h, not " + *payment_timeout);
      options.payment_timeout = *duration;
    }
    if (slack) {
      const auto duration = command::ParseDuration(*slack);
      if (!duration) return Error("--deadline-slack must be a duration like 30s or 500ms, not " + *slack);
      options.slack = *duration;
    }
    parsed.options.workflow = options;
  }
  return {std::move(parsed), {}};
}

}  // namespace orders::invariants

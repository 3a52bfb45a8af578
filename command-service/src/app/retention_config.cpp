#include <orders/command/retention_config.hpp>

#include <orders/platform/duration.hpp>

namespace orders::command {
namespace {

// A retention from `least` to 365d, when `name` is set; `examples` go into the problem.
void ReadRetention(const std::map<std::string, std::string>& environment, const std::string& name,
                   const std::string& examples, std::chrono::milliseconds& retention,
                   std::vector<std::string>& problems, const std::string& least = "1s") {
  const auto it = environment.find(name);
  if (it == environment.end()) return;
  const auto parsed = platform::ParseDuration(it->second);
  if (!parsed || *parsed < *platform::ParseDuration(least) || *parsed > std::chrono::hours(24 * 365)) {
    problems.push_back(name + " must be a duration from " + least + " to 365d (e.g. " + examples + ")");
  } else {
    retention = *parsed;
  }
}

}  // namespace

RetentionConfigResult LoadRetentionConfig(const std::map<std::string, std::string>& environment) {
  RetentionConfig config;
  std::vector<std::string> problems;
  ReadRetention(environment, "IDEMPOTENCY_RETENTION", "3600s, 12h, 7d", config.idempotency_retention, problems);
  if (auto it = environment.find("COMMAND_STATE_DIR"); it != environment.end()) {
    if (it->second.empty()) {
      problems.push_back("COMMAND_STATE_DIR must be a directory (unset it to run without a state store)");
    } else {
      config.state_dir = it->second;
    }
  }
  ReadRetention(environment, "ORDER_RETENTION", "600s, 1h, 2d", config.order_retention, problems);
  // Below an hour it could forget a refusal before its order has been cancelled for it.
  ReadRetention(environment, "RESERVATION_RETENTION", "12h, 7d, 30d", config.reservation_retention, problems, "1h");
  if (!problems.empty()) return {std::nullopt, std::move(problems)};
  return {config, {}};
}

}  // namespace orders::command

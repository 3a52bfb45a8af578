#include <orders/command/retention_config.hpp>

#include <orders/platform/duration.hpp>

namespace orders::command {

RetentionConfigResult LoadRetentionConfig(const std::map<std::string, std::string>& environment) {
  RetentionConfig config;
  std::vector<std::string> problems;
  if (auto it = environment.find("IDEMPOTENCY_RETENTION"); it != environment.end()) {
    const auto parsed = platform::ParseDuration(it->second);
    if (!parsed || *parsed < std::chrono::seconds(1) || *parsed > std::chrono::hours(24 * 365)) {
      problems.push_back("IDEMPOTENCY_RETENTION must be a duration from 1s to 365d (e.g. 3600s, 12h, 7d)");
    } else {
      config.idempotency_retention = *parsed;
    }
  }
  if (auto it = environment.find("COMMAND_STATE_DIR"); it != environment.end()) {
    if (it->second.empty()) {
      problems.push_back("COMMAND_STATE_DIR must be a directory (unset it to run without a state store)");
    } else {
      config.state_dir = it->second;
    }
  }
  if (auto it = environment.find("ORDER_RETENTION"); it != environment.end()) {
    const auto parsed = platform::ParseDuration(it->second);
    if (!parsed || *parsed < std::chrono::seconds(1) || *parsed > std::chrono::hours(24 * 365)) {
      problems.push_back("ORDER_RETENTION must be a duration from 1s to 365d (e.g. 600s, 1h, 2d)");
    } else {
      config.order_retention = *parsed;
    }
  }
  if (!problems.empty()) return {std::nullopt, std::move(problems)};
  return {config, {}};
}

}  // namespace orders::command

#pragma once
// How long the command side remembers what it needs only for a while, read
// once at start from the environment.
//
//   IDEMPOTENCY_RETENTION   how long after its placement an Idempotency-Key is
//                           remembered: a POST retried within it gets the same
//                           order, a later one places a new order; e.g. 3600s,
//                           12h, 7d; a bare number is seconds; 1s-365d, default 7d
//                           (the product contract: a client may retry for a week)

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::command {

struct RetentionConfig {
  std::chrono::milliseconds idempotency_retention{std::chrono::hours(24 * 7)};
};

struct RetentionConfigResult {
  std::optional<RetentionConfig> config;
  std::vector<std::string> problems;  // empty when config is set
};

RetentionConfigResult LoadRetentionConfig(const std::map<std::string, std::string>& environment);

}  // namespace orders::command

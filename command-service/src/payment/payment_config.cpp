#include <orders/command/payment_config.hpp>

#include <charconv>

#include "../http/http_client.hpp"

namespace orders::command {
namespace {

using std::chrono::milliseconds;

std::optional<std::int64_t> ParseInteger(const std::string& text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

class Reader {
 public:
  explicit Reader(const std::map<std::string, std::string>& environment) : environment_(environment) {}

  const std::string* Find(const std::string& name) const {
    auto it = environment_.find(name);
    return it == environment_.end() ? nullptr : &it->second;
  }

  std::int64_t Integer(const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    const auto* text = Find(name);
    if (!text) return fallback;
    const auto value = ParseInteger(*text);
    if (!value || *value < min || *value > max) {
      problems.push_back(name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
      return fallback;
    }
    return *value;
  }

  milliseconds Millis(const std::string& name, milliseconds fallback, std::int64_t min, std::int64_t max) {
    return milliseconds(Integer(name, fallback.count(), min, max));
  }

  std::vector<std::string> problems;

 private:
  const std::map<std::string, std::string>& environment_;
};

}  // namespace

PaymentConfigResult LoadPaymentConfig(const std::map<std::string, std::string>& environment) {
  Reader reader(environment);
  PaymentConfig config;

  if (const auto* workflow = reader.Find("WORKFLOW")) {
    if (*workflow == "on" || *workflow == "off") {
      config.workflow = *workflow == "on";
    } else {
      reader.problems.push_back("WORKFLOW must be on or off");
    }
  }
  if (const auto* kind = reader.Find("PAYMENT_GATEWAY")) {
    if (*kind == "simulator") {
      config.kind = PaymentConfig::Kind::kSimulator;
    } else if (*kind == "http") {
      config.kind = PaymentConfig::Kind::kHttp;
    } else {
      reader.problems.push_back("PAYMENT_GATEWAY must be simulator or http");
    }
  }
  if (const auto* url = reader.Find("PAYMENT_URL")) {
    std::string trimmed = *url;
    while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
    // The URL itself is not echoed: it may carry what an operator would not want in a log.
    if (!ParseHttpUrl(trimmed)) {
      reader.problems.push_back("PAYMENT_URL must be http://host[:port][/path] without credentials or query");
    }
    config.url = trimmed;
  } else if (config.kind == PaymentConfig::Kind::kHttp) {
    reader.problems.push_back("PAYMENT_URL is required with PAYMENT_GATEWAY=http");
  }

  config.simulator_latency = reader.Millis("PAYMENT_SIMULATOR_LATENCY_MS", config.simulator_latency, 0, 60'000);
  config.simulator_decline_above_cents = reader.Integer(
      "PAYMENT_SIMULATOR_DECLINE_ABOVE_CENTS", config.simulator_decline_above_cents, 0, 1'000'000'000'000'000'000);
  config.request_timeout = reader.Millis("PAYMENT_REQUEST_TIMEOUT_MS", config.request_timeout, 1, 120'000);
  config.retry.max_attempts =
      static_cast<int>(reader.Integer("PAYMENT_RETRY_ATTEMPTS", config.retry.max_attempts, 1, 20));
  config.retry.initial_backoff = reader.Millis("PAYMENT_RETRY_INITIAL_MS", config.retry.initial_backoff, 1, 60'000);
  config.retry.max_backoff = reader.Millis("PAYMENT_RETRY_MAX_MS", config.retry.max_backoff, 1, 600'000);
  if (config.retry.max_backoff < config.retry.initial_backoff) {
    reader.problems.push_back("PAYMENT_RETRY_MAX_MS must be at least PAYMENT_RETRY_INITIAL_MS");
  }
  config.breaker.failure_threshold =
      static_cast<int>(reader.Integer("PAYMENT_BREAKER_THRESHOLD", config.breaker.failure_threshold, 1, 1000));
  config.breaker.open_for = reader.Millis("PAYMENT_BREAKER_OPEN_MS", config.breaker.open_for, 1, 600'000);
  config.concurrency = static_cast<int>(reader.Integer("PAYMENT_CONCURRENCY", config.concurrency, 1, 256));

  if (const auto* timeout = reader.Find("PAYMENT_TIMEOUT")) {
    const auto parsed = ParseDuration(*timeout);
    if (!parsed || *parsed < std::chrono::seconds(1) || *parsed > std::chrono::hours(24 * 30)) {
      reader.problems.push_back("PAYMENT_TIMEOUT must be a duration from 1s to 30d (e.g. 900s, 15m, 1h)");
    } else {
      config.payment_timeout = *parsed;
    }
  }

  if (!reader.problems.empty()) return {std::nullopt, std::move(reader.problems)};
  return {std::move(config), {}};
}

}  // namespace orders::command

#include <orders/notifier/webhooks/webhook_config.hpp>

#include <charconv>
#include <cstdint>
#include <fstream>

#include <orders/platform/duration.hpp>

namespace orders::notifier::webhooks {
namespace {

using std::chrono::milliseconds;

constexpr const char* kDefaultSchedule = "5s,30s,2m,15m,1h,6h,24h";
constexpr std::size_t kMaxScheduleSteps = 30;

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
    std::int64_t value = 0;
    const auto* end = text->data() + text->size();
    auto [ptr, ec] = std::from_chars(text->data(), end, value);
    if (text->empty() || ec != std::errc() || ptr != end || value < min || value > max) {
      problems.push_back(name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
      return fallback;
    }
    return value;
  }

  milliseconds Duration(const std::string& name, milliseconds fallback, milliseconds min, milliseconds max,
                        const std::string& range) {
    const auto* text = Find(name);
    if (!text) return fallback;
    const auto parsed = platform::ParseDuration(*text);
    if (!parsed || *parsed < min || *parsed > max) {
      problems.push_back(name + " must be a duration from " + range + " (e.g. 250ms, 10s, 5m, 2h, 5d)");
      return fallback;
    }
    return *parsed;
  }

  bool Switch(const std::string& name, bool fallback, const char* yes, const char* no) {
    const auto* text = Find(name);
    if (!text) return fallback;
    if (*text == yes) return true;
    if (*text == no) return false;
    problems.push_back(name + " must be " + yes + " or " + no);
    return fallback;
  }

  std::vector<std::string> problems;

 private:
  const std::map<std::string, std::string>& environment_;
};

}  // namespace

std::optional<std::vector<milliseconds>> ParseRetrySchedule(const std::string& text) {
  std::vector<milliseconds> steps;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const auto part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto step = platform::ParseDuration(part);
    if (!step || *step < milliseconds(10) || *step > std::chrono::hours(24 * 7)) return std::nullopt;
    steps.push_back(*step);
    if (steps.size() > kMaxScheduleSteps) return std::nullopt;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return steps;
}

WebhookConfigResult LoadWebhookConfig(const std::map<std::string, std::string>& environment) {
  Reader reader(environment);
  WebhookConfig config;

  const auto* database_url = reader.Find("DATABASE_URL");
  config.enabled = reader.Switch("WEBHOOKS", database_url && !database_url->empty(), "on", "off");

  config.retry_schedule = *ParseRetrySchedule(kDefaultSchedule);
  if (const auto* schedule = reader.Find("WEBHOOK_RETRY_SCHEDULE")) {
    if (auto parsed = ParseRetrySchedule(*schedule)) {
      config.retry_schedule = std::move(*parsed);
    } else {
      reader.problems.push_back(
          "WEBHOOK_RETRY_SCHEDULE must be 1-30 comma-separated durations, each from 10ms to 7d (e.g. 5s,30s,2m)");
    }
  }
  config.timeout =
      reader.Duration("WEBHOOK_TIMEOUT", config.timeout, milliseconds(100), std::chrono::seconds(120), "100ms to 120s");
  config.disable_after = reader.Duration("WEBHOOK_DISABLE_AFTER", config.disable_after, std::chrono::seconds(1),
                                         std::chrono::hours(24 * 365), "1s to 365d");
  config.workers = static_cast<int>(reader.Integer("WEBHOOK_WORKERS", config.workers, 1, 256));
  config.max_endpoints = static_cast<std::size_t>(
      reader.Integer("WEBHOOK_MAX_ENDPOINTS", static_cast<std::int64_t>(config.max_endpoints), 1, 100'000));
  config.allow_private_targets =
      reader.Switch("WEBHOOK_ALLOW_PRIVATE_TARGETS", config.allow_private_targets, "true", "false");
  if (const auto* ca_file = reader.Find("WEBHOOK_CA_FILE")) {
    // Checked now so that a typo stops the start instead of failing every https delivery later.
    if (ca_file->empty() || !std::ifstream(*ca_file).good()) {
      reader.problems.push_back("WEBHOOK_CA_FILE must name a readable PEM file");
    }
    config.ca_file = *ca_file;
  }
  config.max_response_bytes = static_cast<std::size_t>(reader.Integer(
      "WEBHOOK_MAX_RESPONSE_BYTES", static_cast<std::int64_t>(config.max_response_bytes), 1024, 16 * 1024 * 1024));
  config.queue_per_endpoint = static_cast<std::size_t>(
      reader.Integer("WEBHOOK_QUEUE_PER_ENDPOINT", static_cast<std::int64_t>(config.queue_per_endpoint), 1, 1'000'000));

  if (!reader.problems.empty()) return {std::nullopt, std::move(reader.problems)};
  return {std::move(config), {}};
}

}  // namespace orders::notifier::webhooks

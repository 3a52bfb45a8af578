#include <orders/notifier/sse_settings.hpp>

#include <charconv>

namespace orders::notifier {
namespace {

// A whole number of milliseconds in [100, 600000] from `name`, or the default when unset.
void ReadMilliseconds(const std::map<std::string, std::string>& environment, const std::string& name,
                      std::chrono::milliseconds& target, std::vector<std::string>& problems) {
  const auto it = environment.find(name);
  if (it == environment.end() || it->second.empty()) return;
  const std::string& text = it->second;
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 100 || value > 600000) {
    problems.push_back(name + " must be a whole number of milliseconds from 100 to 600000, got '" + text + "'");
    return;
  }
  target = std::chrono::milliseconds(value);
}

}  // namespace

SseSettingsResult LoadSseSettings(const std::map<std::string, std::string>& environment) {
  SseSettingsResult result;
  SseSettings settings;
  ReadMilliseconds(environment, "SSE_HEARTBEAT_MS", settings.heartbeat, result.problems);
  ReadMilliseconds(environment, "SSE_RETRY_MS", settings.retry, result.problems);
  if (result.problems.empty()) result.settings = settings;
  return result;
}

}  // namespace orders::notifier

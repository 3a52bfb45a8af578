#include <orders/notifier/cache_settings.hpp>

#include <charconv>
#include <limits>
#include <string_view>

namespace orders::notifier {
namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMinBytes = 64 * kKiB;
constexpr std::size_t kMaxBytes = 1024 * kKiB * kKiB * kKiB;

const std::string* Find(const std::map<std::string, std::string>& environment, const std::string& name) {
  const auto it = environment.find(name);
  return it == environment.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

std::optional<std::size_t> ParseByteSize(const std::string& text) {
  std::string_view digits = text;
  std::size_t unit = 1;
  for (const auto& [suffix, size] :
       {std::pair<std::string_view, std::size_t>{"KiB", kKiB}, {"MiB", kKiB * kKiB}, {"GiB", kKiB * kKiB * kKiB}}) {
    if (digits.size() > suffix.size() && digits.substr(digits.size() - suffix.size()) == suffix) {
      digits.remove_suffix(suffix.size());
      unit = size;
      break;
    }
  }
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (value > std::numeric_limits<std::size_t>::max() / unit) return std::nullopt;
  return value * unit;
}

CacheSettingsResult LoadCacheSettings(const std::map<std::string, std::string>& environment) {
  CacheSettingsResult result;
  CacheSettings settings;
  if (const auto* text = Find(environment, "NOTIFIER_CACHE_BYTES")) {
    const auto bytes = ParseByteSize(*text);
    if (!bytes || *bytes < kMinBytes || *bytes > kMaxBytes) {
      result.problems.push_back(
          "NOTIFIER_CACHE_BYTES must be a number of bytes from 64KiB to 1024GiB (a KiB, MiB or GiB suffix may "
          "follow the number), got '" +
          *text + "'");
    } else {
      settings.max_bytes = *bytes;
    }
  }
  // Like WEBHOOKS: a notifier given a database uses it; one without never connects.
  settings.read_model_lookup = Find(environment, "DATABASE_URL") != nullptr;
  if (const auto* text = Find(environment, "NOTIFIER_READ_MODEL_LOOKUP")) {
    if (*text == "on" || *text == "off") {
      settings.read_model_lookup = *text == "on";
    } else {
      result.problems.push_back("NOTIFIER_READ_MODEL_LOOKUP must be on or off, got '" + *text + "'");
    }
  }
  if (const auto* text = Find(environment, "NOTIFIER_LOOKUP_TIMEOUT_MS")) {
    long long value = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size() || value < 100 || value > 60000) {
      result.problems.push_back(
          "NOTIFIER_LOOKUP_TIMEOUT_MS must be a whole number of milliseconds from 100 to "
          "60000, got '" +
          *text + "'");
    } else {
      settings.lookup_timeout = std::chrono::milliseconds(value);
    }
  }
  if (result.problems.empty()) result.settings = settings;
  return result;
}

}  // namespace orders::notifier

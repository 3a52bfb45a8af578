#include <orders/platform/duration.hpp>

#include <charconv>
#include <cstdint>
#include <string_view>
#include <utility>

namespace orders::platform {
namespace {

std::optional<std::int64_t> ParseCount(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0 || value > 1'000'000'000) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& [suffix, scale] : kUnits) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      // "5ms" must not read as "5m" + "s": the number part has digits only.
      if (auto value = ParseCount(std::string_view(text).substr(0, text.size() - suffix.size()))) {
        return std::chrono::milliseconds(*value * scale);
      }
    }
  }
  if (auto seconds = ParseCount(text)) return std::chrono::milliseconds(*seconds * 1000);
  return std::nullopt;
}

}  // namespace orders::platform

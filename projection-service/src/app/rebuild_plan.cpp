#include <orders/projection/rebuild_plan.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace orders::projection {
namespace {

constexpr std::size_t kMaxIdentifier = 63;
constexpr const char* kRebuildSuffix = "__rebuild";
constexpr const char* kRetiredInfix = "__retired_";
constexpr std::size_t kStampLength = 16;  // YYYYMMDDTHHMMSSZ

}  // namespace

std::string RebuildSchemaName(const std::string& schema) { return schema + kRebuildSuffix; }

std::string RetiredSchemaName(const std::string& schema, std::chrono::system_clock::time_point at) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(at);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{seconds - day};
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%04d%02u%02uT%02ld%02ld%02ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()));
  return schema + kRetiredInfix + stamp;
}

std::optional<std::string> CheckSchemaNameFitsRebuild(const std::string& schema) {
  const std::size_t longest = schema.size() + std::string(kRetiredInfix).size() + kStampLength;
  if (longest <= kMaxIdentifier) return std::nullopt;
  return "READ_MODEL_SCHEMA must be at most " + std::to_string(kMaxIdentifier - longest + schema.size()) +
         " characters for a rebuild (the retired schema's name would exceed 63)";
}

std::int64_t Remaining(const StoredOffsets& committed, const StoredOffsets& ends) {
  std::int64_t remaining = 0;
  for (const auto& [partition, end] : ends) {
    const auto it = committed.find(partition);
    remaining += std::max<std::int64_t>(0, end - (it == committed.end() ? 0 : it->second));
  }
  return remaining;
}

std::int64_t Total(const StoredOffsets& offsets) {
  std::int64_t total = 0;
  for (const auto& [partition, offset] : offsets) total += offset;
  return total;
}

bool Reached(const StoredOffsets& committed, const StoredOffsets& target) {
  return std::all_of(target.begin(), target.end(), [&](const auto& entry) {
    const auto it = committed.find(entry.first);
    return entry.second <= (it == committed.end() ? 0 : it->second);
  });
}

std::string Grouped(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return value < 0 ? "-" + digits : digits;
}

std::string ProgressLine(std::int64_t applied, std::int64_t end, double records_per_second) {
  const double percent = end > 0 ? 100.0 * static_cast<double>(applied) / static_cast<double>(end) : 100.0;
  std::string line = "rebuild: ";
  char number[32];
  std::snprintf(number, sizeof number, "%.1f%% ", std::min(percent, 100.0));
  line += number;
  line += Grouped(applied) + " of " + Grouped(end) + " records applied, " + Grouped(std::llround(records_per_second)) +
          " records/s";
  if (records_per_second > 0 && end > applied) {
    const auto left = std::llround(static_cast<double>(end - applied) / records_per_second);
    line += ", about " + Grouped(std::max<long long>(left, 1)) + " s left";
  }
  return line;
}

}  // namespace orders::projection

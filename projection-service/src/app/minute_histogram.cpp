#include <orders/projection/minute_histogram.hpp>

#include <charconv>

namespace orders::projection {

std::string MinuteBucketsLiteral() {
  std::string out = "{";
  for (std::size_t i = 0; i < kMinuteBuckets.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(kMinuteBuckets[i]);
  }
  return out + "}";
}

void AddHistogram(MinuteHistogram& sum, const MinuteHistogram& more) {
  if (sum.size() < kMinuteBuckets.size()) sum.resize(kMinuteBuckets.size(), 0);
  for (std::size_t i = 0; i < more.size() && i < sum.size(); ++i) sum[i] += more[i];
}

std::optional<MinuteHistogram> ParseHistogram(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return std::nullopt;
  text = text.substr(1, text.size() - 2);
  MinuteHistogram counts;
  while (!text.empty()) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || value < 0) return std::nullopt;
    counts.push_back(value);
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (text.empty()) break;
    if (text.front() != ',' || text.size() == 1) return std::nullopt;
    text.remove_prefix(1);
  }
  return counts;
}

std::optional<double> QuantileMinutes(const MinuteHistogram& histogram, double q) {
  std::int64_t total = 0;
  for (auto count : histogram) total += count;
  if (total == 0) return std::nullopt;
  // The rank of the quantile among the durations, 0-based and fractional;
  // within a bucket its durations are taken as spread evenly over its width.
  const double rank = q * static_cast<double>(total);
  std::int64_t below = 0;
  for (std::size_t i = 0; i < histogram.size() && i < kMinuteBuckets.size(); ++i) {
    const auto count = histogram[i];
    if (count > 0 && rank < static_cast<double>(below + count)) {
      if (i + 1 == kMinuteBuckets.size()) return kMinuteBuckets[i];
      const double width = kMinuteBuckets[i + 1] - kMinuteBuckets[i];
      return kMinuteBuckets[i] + width * (rank - static_cast<double>(below)) / static_cast<double>(count);
    }
    below += count;
  }
  return kMinuteBuckets[kMinuteBuckets.size() - 1];
}

}  // namespace orders::projection

#pragma once
// A latency histogram for benchmarks: log-linear buckets (64 sub-buckets per
// power of two, so ≤ 1.6% relative error) over 1 µs .. ~1 h, constant memory,
// mergeable. Values are microseconds.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace orders::bench {

class LatencyHistogram {
 public:
  void Record(std::int64_t micros) {
    micros = std::max<std::int64_t>(micros, 0);
    ++counts_[Index(static_cast<std::uint64_t>(micros))];
    ++total_;
    max_ = std::max(max_, micros);
  }
  void Merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }
  std::uint64_t count() const { return total_; }
  // [[upper edge µs, count], ...] of the non-empty buckets: several processes' histograms are
  // merged by adding the counts of equal edges (tests/bench/report.py).
  nlohmann::json Sparse() const {
    nlohmann::json buckets = nlohmann::json::array();
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] > 0) buckets.push_back({std::min<std::int64_t>(UpperEdge(i), max_), counts_[i]});
    }
    return buckets;
  }
  std::int64_t max() const { return max_; }

  // The value at quantile q (0..1): the upper edge of its bucket, capped at the maximum seen.
  std::int64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min<std::int64_t>(UpperEdge(i), max_);
    }
    return max_;
  }

  // {count, p50_ms, p90_ms, p99_ms, p999_ms, max_ms}
  nlohmann::json Summary() const {
    auto ms = [](std::int64_t micros) { return static_cast<double>(micros) / 1000.0; };
    return {{"count", total_},
            {"p50_ms", ms(Quantile(0.50))},
            {"p90_ms", ms(Quantile(0.90))},
            {"p99_ms", ms(Quantile(0.99))},
            {"p999_ms", ms(Quantile(0.999))},
            {"max_ms", ms(max_)}};
  }

 private:
  static constexpr int kSubBits = 6;  // 64 sub-buckets
  static constexpr std::size_t kBuckets = (42 - kSubBits + 1) << kSubBits;

  static std::size_t Index(std::uint64_t value) {
    if (value < (1u << kSubBits)) return value;
    const int magnitude = 63 - std::countl_zero(value);  // ≥ kSubBits
    const int shift = magnitude - kSubBits;
    const std::size_t index =
        (static_cast<std::size_t>(shift + 1) << kSubBits) + ((value >> shift) & ((1u << kSubBits) - 1));
    return std::min(index, kBuckets - 1);
  }
  static std::int64_t UpperEdge(std::size_t index) {
    if (index < (1u << kSubBits)) return static_cast<std::int64_t>(index);
    const int shift = static_cast<int>(index >> kSubBits) - 1;
    const std::uint64_t mantissa = (index & ((1u << kSubBits) - 1)) | (1u << kSubBits);
    return static_cast<std::int64_t>(((mantissa + 1) << shift) - 1);
  }

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace orders::bench

#pragma once
// Durations in the reports (assignment -> delivery, placed -> confirmed,
// confirmed -> delivered) are summarised as histograms of minutes with fixed
// buckets, so that a median or a 90th percentile over any range of days is a
// sum of small arrays rather than a scan of every order. A bucket's count is
// the number of durations from its lower bound (inclusive) to the next one.
// Resolution: 2 minutes under half an hour, 5 under 2 hours, 15 under 4
// hours, an hour under 8 hours; then 8-12 h, 12-24 h, and a day or more.
// The same bounds are passed to PostgreSQL (width_bucket) by the projection:
// they are defined here only.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orders::projection {

inline constexpr std::array<int, 48> kMinuteBuckets = {
    0,  2,  4,  6,  8,  10,  12,  14,  16,  18,  20,  22,  24,  26,  28,  30,  35,  40,  45,  50,  55,  60,  65,  70,
    75, 80, 85, 90, 95, 100, 105, 110, 115, 120, 135, 150, 165, 180, 195, 210, 225, 240, 300, 360, 420, 480, 720, 1440};

// The bounds as a PostgreSQL array literal: {0,2,4,...}.
std::string MinuteBucketsLiteral();

// Counts per bucket, kMinuteBuckets.size() of them.
using MinuteHistogram = std::vector<std::int64_t>;

// Adds `more` into `sum` (sum grows to kMinuteBuckets.size() when shorter).
void AddHistogram(MinuteHistogram& sum, const MinuteHistogram& more);
// Parses a PostgreSQL bigint[] text ({1,0,3}); nullopt when malformed.
std::optional<MinuteHistogram> ParseHistogram(std::string_view text);

// The q-quantile (0 < q < 1) in minutes, interpolated linearly inside its
// bucket; the open last bucket answers its lower bound. nullopt: no counts.
std::optional<double> QuantileMinutes(const MinuteHistogram& histogram, double q);

}  // namespace orders::projection

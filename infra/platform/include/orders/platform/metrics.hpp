#pragma once
// A small Prometheus registry. Metrics are created at start (not on the hot
// path) and updated lock-free; Render() writes the text exposition format
// 0.0.4 for GET /metrics. References returned by Add* stay valid for the
// registry's lifetime.

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace orders::platform {

using Labels = std::map<std::string, std::string>;

// `labels` and one more (for the series of one family that differ in that label alone).
inline Labels WithLabel(Labels labels, const std::string& name, std::string value) {
  labels[name] = std::move(value);
  return labels;
}

class Counter {
 public:
  void Inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  std::uint64_t BucketCount(std::size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  std::uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::deque<std::atomic<std::uint64_t>> counts_;  // per bucket, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  Counter& AddCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& AddGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& AddHistogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                          const Labels& labels = {});
  // Runs before each Render(), e.g. to refresh a gauge from a live source.
  void AddCollector(std::function<void()> collector);

  std::string Render() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::vector<std::pair<std::string, const void*>> series;  // rendered labels, metric
  };
  Family& FamilyFor(const std::string& name, const std::string& help, const std::string& type);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
  std::vector<std::function<void()>> collectors_;
};

}  // namespace orders::platform

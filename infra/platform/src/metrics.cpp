#include <orders/platform/metrics.hpp>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace orders::platform {
namespace {

std::string RenderLabels(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string text = "{";
  for (const auto& [key, value] : labels) {
    if (text.size() > 1) text += ',';
    text += key + "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') text += '\\';
      if (c == '\n') {
        text += "\\n";
        continue;
      }
      text += c;
    }
    text += '"';
  }
  if (!extra.empty()) {
    if (text.size() > 1) text += ',';
    text += extra;
  }
  return text + "}";
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

// Shortest text that reads back as the same double (0.0005, not 0.00050000000000000001).
std::string Number(double value) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : "NaN";
}

}  // namespace

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  counts_.resize(bounds_.size() + 1);
}

void Histogram::Observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(const std::string& name, const std::string& help,
                                                    const std::string& type) {
  Family& family = families_[name];
  family.help = help;
  family.type = type;
  return family;
}

Counter& MetricsRegistry::AddCounter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Counter& counter = counters_.emplace_back();
  FamilyFor(name, help, "counter").series.emplace_back(RenderLabels(labels), &counter);
  return counter;
}

Gauge& MetricsRegistry::AddGauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Gauge& gauge = gauges_.emplace_back();
  FamilyFor(name, help, "gauge").series.emplace_back(RenderLabels(labels), &gauge);
  return gauge;
}

Histogram& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                         const Labels& labels) {
  std::lock_guard lock(mutex_);
  Histogram& histogram = histograms_.emplace_back(std::move(bounds));
  // Histogram series keep the raw labels; bucket labels are added at render.
  std::string raw;
  for (const auto& [key, value] : labels) raw += key + '\x1f' + value + '\x1e';
  FamilyFor(name, help, "histogram").series.emplace_back(raw, &histogram);
  return histogram;
}

void MetricsRegistry::AddCollector(std::function<void()> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& collect : collectors) collect();

  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << ' ' << family.help << "\n# TYPE " << name << ' ' << family.type << '\n';
    for (const auto& [labels, metric] : family.series) {
      if (family.type == "counter") {
        out << name << labels << ' ' << static_cast<const Counter*>(metric)->Value() << '\n';
      } else if (family.type == "gauge") {
        out << name << labels << ' ' << Number(static_cast<const Gauge*>(metric)->Value()) << '\n';
      } else {
        const auto* histogram = static_cast<const Histogram*>(metric);
        Labels parsed;
        std::size_t start = 0;
        while (start < labels.size()) {
          const auto unit = labels.find('\x1f', start);
          const auto record = labels.find('\x1e', unit);
          parsed[labels.substr(start, unit - start)] = labels.substr(unit + 1, record - unit - 1);
          start = record + 1;
        }
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= histogram->bounds().size(); ++i) {
          cumulative += histogram->BucketCount(i);
          const std::string le = i < histogram->bounds().size() ? Number(histogram->bounds()[i]) : "+Inf";
          out << name << "_bucket" << RenderLabels(parsed, "le=\"" + le + "\"") << ' ' << cumulative << '\n';
        }
        out << name << "_sum" << RenderLabels(parsed) << ' ' << Number(histogram->Sum()) << '\n';
        out << name << "_count" << RenderLabels(parsed) << ' ' << histogram->Count() << '\n';
      }
    }
  }
  return out.str();
}

}  // namespace orders::platform

#include "load_driver.hpp"

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

const std::vector<std::string> kForward = {"pending", "confirmed",        "processing",
                                           "shipped", "out_for_delivery", "delivered"};

bool Terminal(const std::string& status) { return status == "delivered" || status == "cancelled"; }

std::string Next(const std::string& status, std::mt19937& random) {
  const bool may_cancel = status == "pending" || status == "confirmed" || status == "processing";
  if (may_cancel && random() % 20 == 0) return "cancelled";
  for (std::size_t i = 0; i + 1 < kForward.size(); ++i) {
    if (kForward[i] == status) return kForward[i + 1];
  }
  return {};
}

}  // namespace

LoadDriver::LoadDriver(std::function<std::uint16_t()> port, Options options)
    : port_(std::move(port)), options_(std::move(options)) {}

LoadDriver::~LoadDriver() { Stop(); }

bool LoadDriver::Start() {
  slow_.resize(static_cast<std::size_t>(options_.slow_orders));
  for (auto& walk : slow_) {
    if (!Place(walk)) return false;
    slow_ids_.push_back(walk.id);
  }
  active_.resize(static_cast<std::size_t>(options_.active_orders));
  for (int worker = 0; worker < options_.workers; ++worker) {
    threads_.emplace_back([this, worker] { Run(static_cast<std::size_t>(worker)); });
  }
  return true;
}

void LoadDriver::Stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

double LoadDriver::Stats::Slowest503Ms() const {
  return unavailable_ms.empty() ? 0 : *std::max_element(unavailable_ms.begin(), unavailable_ms.end());
}

double LoadDriver::Stats::Median503Ms() const {
  if (unavailable_ms.empty()) return 0;
  auto sorted = unavailable_ms;
  std::sort(sorted.begin(), sorted.end());
  return sorted[sorted.size() / 2];
}

namespace {
bool Unavailable(int status) { return status == 503 || status == 0; }
bool Acknowledgement(const LoadDriver::Answer& answer) {
  if (answer.read) return false;
  return answer.post ? answer.status == 201 : answer.status == 200;
}
}  // namespace

std::int64_t LoadDriver::Stats::AcknowledgedSince(Clock::time_point from) const {
  return std::count_if(answers.begin(), answers.end(),
                       [&](const Answer& answer) { return answer.started >= from && Acknowledgement(answer); });
}

std::int64_t LoadDriver::Stats::UnansweredStartedBefore(Clock::time_point at) const {
  return std::count_if(answers.begin(), answers.end(), [&](const Answer& answer) {
    return !answer.read && answer.started < at && answer.ended >= at && answer.status == 0;
  });
}

LoadDriver::Clock::time_point LoadDriver::Stats::FirstUnavailable() const {
  for (const auto& answer : answers) {
    if (Unavailable(answer.status)) return answer.ended;
  }
  return {};
}

LoadDriver::Clock::time_point LoadDriver::Stats::LastUnavailable() const {
  Clock::time_point last{};
  for (const auto& answer : answers) {
    if (Unavailable(answer.status)) last = std::max(last, answer.ended);
  }
  return last;
}

std::optional<LoadDriver::Clock::time_point> LoadDriver::Stats::FirstAcknowledgedSince(Clock::time_point from) const {
  std::optional<Clock::time_point> first;
  for (const auto& answer : answers) {
    if (answer.started >= from && Acknowledgement(answer) && (!first || answer.ended < *first)) first = answer.ended;
  }
  return first;
}

std::vector<invariants::Acknowledged> LoadDriver::Acknowledged() {
  std::lock_guard lock(mutex_);
  return acknowledged_;
}

LoadDriver::Stats LoadDriver::stats() {
  std::lock_guard lock(mutex_);
  return stats_;
}

void LoadDriver::Record(const std::string& id, std::int64_t version, const std::string& status, std::uint16_t port) {
  std::lock_guard lock(mutex_);
  acknowledged_.push_back({id, version, status});
  ++stats_.acknowledged;
  ++stats_.acknowledged_by_port[port];
  ++acknowledged_count_;
}

std::uint16_t LoadDriver::Port() {
  const std::uint16_t port = port_();
  if (port != 0) {
    last_port_ = port;
    return port;
  }
  return last_port_.load();
}

HttpResponse LoadDriver::Send(std::uint16_t port, const std::string& method, const std::string& path,
                              const std::string& body, const std::map<std::string, std::string>& headers, bool post,
                              bool read) {
  const auto started = Clock::now();
  ++in_flight_;
  auto response = HttpRequest(port, method, path, body, WithToken(headers), std::chrono::seconds(5));
  --in_flight_;
  const auto ended = Clock::now();
  std::lock_guard lock(mutex_);
  stats_.answers.push_back({started, ended, response.status, port, post, read});
  if (read) return response;  // re-reads are in the timeline (the outage window), not in the command counts
  ++stats_.sent;
  if (Unavailable(response.status)) ++stats_.unavailable;
  if (response.status == 0) ++stats_.unclear;
  if (response.status == 503) {
    stats_.unavailable_ms.push_back(std::chrono::duration<double, std::milli>(ended - started).count());
  }
  return response;
}

// Waits `duration`, or less when the driver is stopped meanwhile.
void LoadDriver::Pause(std::chrono::milliseconds duration) {
  Eventually([this] { return stop_.load(); }, duration, std::chrono::milliseconds(1));
}

bool LoadDriver::Place(Walk& walk) {
  const std::uint16_t port = Port();
  if (port == 0) return false;
  const std::string body = R"({"customerId":")" + options_.customer_id +
                           R"(","items":[{"productId":"sku-1","quantity":1,"unitPriceCents":990}],"currency":"EUR"})";
  const auto response = Send(port, "POST", "/orders", body, {{"Content-Type", "application/json"}}, true);
  if (response.status != 201) {
    if (!Unavailable(response.status)) {
      std::lock_guard lock(mutex_);
      ++stats_.post_not_created;
    }
    return false;  // a lost placement is harmless: the order is simply not walked
  }
  const auto json = nlohmann::json::parse(response.body);
  walk = {json["orderId"], "pending", 1, false, false};
  Record(walk.id, 1, "pending", port);
  return true;
}

bool LoadDriver::Resync(Walk& walk) {
  const std::uint16_t port = Port();
  if (port == 0) return false;
  const auto response = Send(port, "GET", "/orders/" + walk.id, "", {}, false, true);
  if (response.status != 200) return false;
  const auto json = nlohmann::json::parse(response.body);
  walk.status = json["status"];
  walk.version = json["version"];
  walk.unsure = false;
  std::lock_guard lock(mutex_);
  ++stats_.resynced;
  return true;
}

void LoadDriver::Step(Walk& walk, std::mt19937& random) {
  if (walk.id.empty() || Terminal(walk.status)) {
    if (walk.unsure) return;
    Place(walk);
    return;
  }
  if (walk.unsure && !Resync(walk)) return;
  if (Terminal(walk.status)) return;
  const std::uint16_t port = Port();
  if (port == 0) return;
  const std::string to = Next(walk.status, random);
  const auto response =
      Send(port, "PUT", "/orders/" + walk.id + "/status", R"({"status":")" + to + "\"}",
           {{"Content-Type", "application/json"}, {"If-Match", "\"" + std::to_string(walk.version) + "\""}}, false);
  {
    std::lock_guard lock(mutex_);
    if (response.status == 409 || response.status == 412) {
      ++stats_.conflicts;
      if (!walk.had_unclear) ++stats_.conflicts_without_unclear;
    }
    if (response.status != 200 && !Unavailable(response.status) && response.status != 409 && response.status != 412) {
      ++stats_.other;
    }
  }
  if (response.status == 200) {
    const auto json = nlohmann::json::parse(response.body);
    walk.status = json["status"];
    walk.version = json["version"];
    walk.had_unclear = false;
    Record(walk.id, walk.version, walk.status, port);
  } else {
    walk.unsure = true;
    if (Unavailable(response.status)) walk.had_unclear = true;
  }
}

// Worker w walks the active orders w, w + workers, ...; worker 0 also the slow ones.
void LoadDriver::Run(std::size_t worker) {
  std::mt19937 random(static_cast<unsigned>(42 + worker));
  const auto workers = static_cast<std::size_t>(options_.workers);
  std::size_t turn = 0, slow_turn = 0;
  auto next_slow_step = std::chrono::steady_clock::now() + options_.slow_step_every;
  while (!stop_) {
    if (worker == 0 && !slow_.empty() && std::chrono::steady_clock::now() >= next_slow_step) {
      Step(slow_[slow_turn++ % slow_.size()], random);
      next_slow_step += options_.slow_step_every;
    } else {
      const std::size_t mine = (active_.size() - worker + workers - 1) / workers;
      Step(active_[worker + workers * (turn++ % mine)], random);
    }
    Pause(options_.pause);
  }
}

}  // namespace orders::testing

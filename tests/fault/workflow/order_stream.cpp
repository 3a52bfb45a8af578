#include "order_stream.hpp"

#include <orders/platform/uuid.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {

using nlohmann::json;
using namespace std::chrono_literals;

OrderStream::OrderStream(std::function<std::vector<std::uint16_t>()> ports, Options options)
    : ports_(std::move(ports)), options_(std::move(options)), run_(UniqueName("wf")) {}

OrderStream::~OrderStream() { Stop(); }

void OrderStream::Start() {
  started_ = std::chrono::steady_clock::now();
  for (int i = 0; i < options_.clients; ++i) threads_.emplace_back([this] { RunClient(); });
}

bool OrderStream::WaitUntilPlaced(std::chrono::seconds ceiling) {
  const auto deadline = std::chrono::steady_clock::now() + ceiling;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      done = stats_.placed + stats_.other >= options_.orders;
    }
    if (!done) std::this_thread::sleep_for(20ms);
  }
  Stop();
  return done;
}

void OrderStream::Stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void OrderStream::RunClient() {
  while (!stop_) {
    const int index = next_++;
    if (index >= options_.orders) return;
    if (options_.per_second > 0) {
      // Paced from the start, not from the previous answer: a slow answer does not slow the load.
      const auto due = started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(index / options_.per_second));
      std::this_thread::sleep_until(due);
    }
    Place(index);
  }
}

void OrderStream::Place(int index) {
  const std::string id = platform::NewUuid();
  const std::string key = run_ + "-" + std::to_string(index);
  const auto body = json{
      {"orderId", id},
      {"customerId", "customer-" + std::to_string(index % 5)},
      {"items", options_.items},
      {"currency",
       "EUR"}}.dump();
  const auto headers = WithToken({{"Content-Type", "application/json"}, {"Idempotency-Key", key}});
  bool unclear_before = false;
  for (std::size_t attempt = static_cast<std::size_t>(index); !stop_; ++attempt) {
    const auto ports = ports_();
    if (ports.empty()) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    const auto port = ports[attempt % ports.size()];
    const auto response = HttpRequest(port, "POST", "/orders", body, headers, 5s);
    if (response.status == 0 || response.status == 503) {
      {
        std::lock_guard lock(mutex_);
        ++(response.status == 0 ? stats_.unanswered : stats_.unavailable);
      }
      unclear_before = true;
      std::this_thread::sleep_for(20ms);
      continue;
    }
    std::lock_guard lock(mutex_);
    if (response.status == 201 || response.status == 200) {
      const auto answer = json::parse(response.body, nullptr, false);
      acks_.push_back(
          {answer.value("orderId", ""), answer.value("version", std::int64_t{0}), answer.value("status", ""), ""});
      placed_.push_back(id);
      ++stats_.placed;
      ++placed_by_port_[port];
    } else if (response.status == 409 && unclear_before) {
      placed_.push_back(id);
      ++stats_.placed;
    } else {
      ++stats_.other;
      if (surprises_.size() < 20) surprises_.push_back(std::to_string(response.status) + " " + response.body);
    }
    return;
  }
}

OrderStream::Stats OrderStream::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<std::string> OrderStream::PlacedIds() const {
  std::lock_guard lock(mutex_);
  return placed_;
}

std::vector<invariants::Acknowledged> OrderStream::Acknowledged() const {
  std::lock_guard lock(mutex_);
  return acks_;
}

std::vector<std::string> OrderStream::Surprises() const {
  std::lock_guard lock(mutex_);
  return surprises_;
}

std::map<std::uint16_t, int> OrderStream::PlacedByPort() const {
  std::lock_guard lock(mutex_);
  return placed_by_port_;
}

}  // namespace orders::testing

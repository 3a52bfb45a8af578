#include "courier_crowd.hpp"

#include <nlohmann/json.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {

using nlohmann::json;
using namespace std::chrono_literals;

struct CourierCrowd::Answer {
  int status = 0;  // 0: no answer
  json body;       // the order on 2xx
};

CourierCrowd::CourierCrowd(std::function<std::uint16_t()> port, Options options)
    : port_(std::move(port)), options_(options) {}

CourierCrowd::~CourierCrowd() { Stop(); }

void CourierCrowd::Start() {
  threads_.emplace_back([this] { OpenOrders(); });
  for (int i = 0; i < options_.couriers; ++i) threads_.emplace_back([this, i] { RunCourier(i); });
}

bool CourierCrowd::WaitUntilDelivered(std::chrono::seconds ceiling) {
  const auto deadline = std::chrono::steady_clock::now() + ceiling;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      done = stats_.delivered >= options_.orders;
    }
    if (!done) std::this_thread::sleep_for(20ms);
  }
  Stop();
  return done;
}

void CourierCrowd::Stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

CourierCrowd::Answer CourierCrowd::Send(const std::string& method, const std::string& path, const std::string& body,
                                        const std::string& token, const std::string& idempotency_key) {
  std::map<std::string, std::string> headers{{"Content-Type", "application/json"}, {"Authorization", BearerOf(token)}};
  if (!idempotency_key.empty()) headers["Idempotency-Key"] = idempotency_key;
  const auto response = HttpRequest(port_(), method, path, body, headers, 5s);
  Answer answer{response.status, json()};
  if (response.status >= 200 && response.status < 300) answer.body = json::parse(response.body, nullptr, false);
  std::lock_guard lock(mutex_);
  if (response.status == 0) {
    ++stats_.unanswered;
  } else if (response.status == 503) {
    ++stats_.unavailable;
  } else if ((response.status < 200 || response.status >= 300) && response.status != 409) {
    ++stats_.other;
    if (surprises_.size() < 20) {
      surprises_.push_back(method + " " + path + " -> " + std::to_string(response.status) + " " + response.body);
    }
  }
  return answer;
}

// An answer that says nothing about the outcome: ask again.
static bool Unclear(int status) { return status == 0 || status == 503; }

void CourierCrowd::Record(const Answer& answer, const std::string& courier) {
  std::lock_guard lock(mutex_);
  acks_.push_back({answer.body.value("orderId", ""), answer.body.value("version", std::int64_t{0}),
                   answer.body.value("status", ""), courier});
}

void CourierCrowd::OpenOrders() {
  const auto staff = TestToken("ops", "staff");
  const auto run = UniqueName("crowd");
  for (int i = 0; i < options_.orders && !Stopping(); ++i) {
    Answer placed;
    const auto body = R"({"customerId":"customer-)" + std::to_string(i % 7) +
                      R"(","items":[{"productId":"sku-1","quantity":1,"unitPriceCents":900}]})";
    while (!Stopping() &&
           Unclear((placed = Send("POST", "/orders", body, staff, run + "-" + std::to_string(i))).status)) {
      std::this_thread::sleep_for(20ms);
    }
    if (placed.status != 201) continue;  // counted as `other`
    Record(placed, "");
    const std::string id = placed.body.value("orderId", "");
    Answer confirmed;
    while (!Stopping() &&
           Unclear((confirmed = Send("PUT", "/orders/" + id + "/status", R"({"status":"confirmed"})", staff)).status)) {
      std::this_thread::sleep_for(20ms);
    }
    if (confirmed.status != 200) continue;
    Record(confirmed, "");
    {
      std::lock_guard lock(mutex_);
      open_.push_back(id);
    }
    std::this_thread::sleep_for(options_.open_every);
  }
}

void CourierCrowd::RunCourier(int index) {
  const std::string courier = "c-" + std::to_string(index + 1);
  const auto token = TestToken(courier, "courier");
  std::set<std::string> taken;  // what this courier knows to be gone (taken by another, or delivered by itself)
  while (!Stopping()) {
    std::string next;
    {
      std::lock_guard lock(mutex_);
      for (const auto& id : open_) {
        if (!taken.count(id)) {
          next = id;
          break;
        }
      }
      if (next.empty() && static_cast<int>(taken.size()) >= options_.orders) return;
    }
    if (next.empty()) {
      std::this_thread::sleep_for(2ms);
      continue;
    }
    if (Accept(courier, token, next)) Deliver(courier, token, next);
    taken.insert(next);
  }
}

bool CourierCrowd::Accept(const std::string& courier, const std::string& token, const std::string& order) {
  const auto body = json{{"courierId", courier}}.dump();
  while (!Stopping()) {
    ++accepts_in_flight_;
    const auto answer = Send("PUT", "/orders/" + order + "/courier", body, token);
    --accepts_in_flight_;
    if (Unclear(answer.status)) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    std::lock_guard lock(mutex_);
    if (answer.status == 409) {
      ++stats_.conflicts;
      return false;
    }
    if (answer.status != 200) return false;  // counted as `other`
    ++stats_.accepted;
    winners_[order].insert(courier);
    acks_.push_back({answer.body.value("orderId", ""), answer.body.value("version", std::int64_t{0}),
                     answer.body.value("status", ""), courier});
    if (answer.body.value("courierId", json()) != json(courier) && surprises_.size() < 20) {
      ++stats_.other;
      surprises_.push_back("accept of " + order + " by " + courier + " answered 200 with " + answer.body.dump());
    }
    return true;
  }
  return false;
}

void CourierCrowd::Deliver(const std::string& courier, const std::string& token, const std::string& order) {
  for (const char* status : {"out_for_delivery", "delivered"}) {
    const auto body = json{{"status", status}}.dump();
    Answer answer;
    while (!Stopping() && Unclear((answer = Send("PUT", "/orders/" + order + "/status", body, token)).status)) {
      std::this_thread::sleep_for(20ms);
    }
    if (answer.status != 200) return;  // counted as `other` (or stopped)
    Record(answer, courier);
  }
  std::lock_guard lock(mutex_);
  ++stats_.delivered;
}

CourierCrowd::Stats CourierCrowd::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<invariants::Acknowledged> CourierCrowd::Acknowledged() const {
  std::lock_guard lock(mutex_);
  return acks_;
}

std::map<std::string, std::set<std::string>> CourierCrowd::Winners() const {
  std::lock_guard lock(mutex_);
  return winners_;
}

std::vector<std::string> CourierCrowd::OrderIds() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::vector<std::string> CourierCrowd::Surprises() const {
  std::lock_guard lock(mutex_);
  return surprises_;
}

}  // namespace orders::testing

#include "order_flow.hpp"

#include <nlohmann/json.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {

using nlohmann::json;
using namespace std::chrono_literals;

OrderFlow::OrderFlow(std::uint16_t command_port, double orders_per_second, int clients)
    : port_(command_port), per_second_(orders_per_second), clients_(clients) {}

OrderFlow::~OrderFlow() { Stop(); }

void OrderFlow::Start() {
  started_ = std::chrono::steady_clock::now();
  for (int i = 0; i < clients_; ++i) threads_.emplace_back([this, i] { RunClient(i); });
}

void OrderFlow::Stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

std::vector<std::string> OrderFlow::Surprises() const {
  std::lock_guard lock(mutex_);
  return surprises_;
}

bool OrderFlow::Step(const std::string& method, const std::string& path, const std::string& body) {
  const auto response = HttpRequest(port_, method, path, body, WithToken({{"Content-Type", "application/json"}}), 5s);
  if (response.status == 200 || response.status == 201) return true;
  std::lock_guard lock(mutex_);
  if (surprises_.size() < 20) surprises_.push_back(method + " " + path + ": " + std::to_string(response.status));
  return false;
}

void OrderFlow::RunClient(int client) {
  while (!stop_) {
    const int index = next_++;
    // Paced from the start, not from the previous answer: a slow answer does not slow the load.
    std::this_thread::sleep_until(started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                 std::chrono::duration<double>(index / per_second_)));
    if (stop_) return;
    const std::string id = platform::NewUuid();
    const auto order = json{{"orderId", id},
                            {"customerId", "wh-customer-" + std::to_string(client)},
                            {"items", {{{"productId", "sku-wh"}, {"quantity", 1}, {"unitPriceCents", 990}}}},
                            {"currency", "EUR"}};
    if (!Step("POST", "/orders", order.dump())) continue;
    if (!Step("PUT", "/orders/" + id + "/status", json{{"status", "confirmed"}}.dump())) continue;
    if (!Step("PUT", "/orders/" + id + "/status", json{{"status", "processing"}}.dump())) continue;
    ++done_;
  }
}

}  // namespace orders::testing

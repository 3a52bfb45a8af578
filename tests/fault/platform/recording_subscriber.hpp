#pragma once
// A WebSocket subscriber for fault scenarios that records everything it
// receives (for the invariant checker) and behaves like a good client: when
// the connection drops it reconnects with backoff and resumes each order it
// follows with sinceVersion = the last version it saw; a customer selector
// is simply subscribed again (its answer is a fresh snapshot list).

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <orders/invariants/checker.hpp>

namespace orders::testing {

class RecordingSubscriber {
 public:
  // Follows `order_ids` by id, or `customer_id` when set.
  RecordingSubscriber(std::string name, std::function<std::uint16_t()> port, std::vector<std::string> order_ids,
                      std::string customer_id = {});
  ~RecordingSubscriber();

  void Start();
  void Stop();

  // The last version seen per order.
  std::map<std::string, std::int64_t> LastVersions();
  // What it received; `followed` is the given ids, `customer_id` the customer it followed.
  invariants::SubscriberLog Log();
  int reconnects() const { return reconnects_.load(); }

 private:
  void Run();
  void Note(const nlohmann::json& message);

  std::string name_;
  std::function<std::uint16_t()> port_;
  std::vector<std::string> order_ids_;
  std::string customer_id_;
  std::atomic<bool> stop_{false};
  std::atomic<int> reconnects_{0};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<nlohmann::json> messages_;
  std::map<std::string, std::int64_t> last_;
};

}  // namespace orders::testing

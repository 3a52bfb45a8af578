#pragma once
// An in-memory OrderLookup for the hub's tests: it records every question and
// answers only when the test says so, as the real one answers later on the
// hub's thread.

#include <string>
#include <utility>
#include <vector>

#include <orders/notifier/order_lookup.hpp>

namespace orders::notifier {

class FakeOrderLookup : public OrderLookup {
 public:
  void Find(const std::string& order_id, std::function<void(OrderLookupResult)> done) override {
    asked.push_back(order_id);
    pending.emplace_back(order_id, std::move(done));
  }

  // Answers every question still open about `order_id`; false when there was none.
  bool Answer(const std::string& order_id, OrderLookupResult result) {
    bool answered = false;
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->first != order_id) {
        ++it;
        continue;
      }
      auto done = std::move(it->second);
      it = pending.erase(it);
      done(result);
      answered = true;
    }
    return answered;
  }
  bool Found(const domain::Order& order) {
    return Answer(order.order_id, {OrderLookupResult::Outcome::kFound, order, {}});
  }
  bool Absent(const std::string& order_id) {
    return Answer(order_id, {OrderLookupResult::Outcome::kAbsent, std::nullopt, {}});
  }
  bool Failed(const std::string& order_id) {
    return Answer(order_id, {OrderLookupResult::Outcome::kFailed, std::nullopt, "connection refused"});
  }

  std::vector<std::string> asked;
  std::vector<std::pair<std::string, std::function<void(OrderLookupResult)>>> pending;
};

}  // namespace orders::notifier

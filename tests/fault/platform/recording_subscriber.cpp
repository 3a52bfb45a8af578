#include "recording_subscriber.hpp"

#include <orders/testing/eventually.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/ws_client.hpp>

namespace orders::testing {

RecordingSubscriber::RecordingSubscriber(std::string name, std::function<std::uint16_t()> port,
                                         std::vector<std::string> order_ids, std::string customer_id)
    : name_(std::move(name)),
      port_(std::move(port)),
      order_ids_(std::move(order_ids)),
      customer_id_(std::move(customer_id)) {}

RecordingSubscriber::~RecordingSubscriber() { Stop(); }

void RecordingSubscriber::Start() {
  thread_ = std::thread([this] { Run(); });
}

void RecordingSubscriber::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::map<std::string, std::int64_t> RecordingSubscriber::LastVersions() {
  std::lock_guard lock(mutex_);
  return last_;
}

invariants::SubscriberLog RecordingSubscriber::Log() {
  std::lock_guard lock(mutex_);
  invariants::SubscriberLog log;
  log.name = name_;
  log.messages = messages_;
  // What it should have followed: the ids it was given, or (for a customer)
  // every order of the customer in the log, which the checker takes from the fold.
  log.followed.insert(order_ids_.begin(), order_ids_.end());
  log.customer_id = customer_id_;
  return log;
}

void RecordingSubscriber::Note(const nlohmann::json& message) {
  std::lock_guard lock(mutex_);
  messages_.push_back(message);
  const auto see = [this](const nlohmann::json& order) {
    auto& last = last_[order.value("orderId", "")];
    last = std::max(last, order.value("version", std::int64_t{0}));
  };
  const std::string type = message.value("type", "");
  if (type == "snapshot" && message.contains("order")) {
    // A fresh snapshot (recovered:false) may legitimately replace what we had.
    last_[message["order"].value("orderId", "")] = message["order"].value("version", std::int64_t{0});
  } else if (type == "snapshot" && message.contains("orders")) {
    for (const auto& order : message["orders"]) see(order);
  } else if (type == "update") {
    see(message);
  }
}

void RecordingSubscriber::Run() {
  auto backoff = std::chrono::milliseconds(50);
  bool first = true;
  while (!stop_) {
    const std::uint16_t port = port_();
    WsClient client;
    if (port == 0 || client.Connect(port, "/ws", WithToken({}, "staff")) != 101) {
      Eventually([this] { return stop_.load(); }, backoff);  // back off, unless stopped meanwhile
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      continue;
    }
    backoff = std::chrono::milliseconds(50);
    if (!first) {
      ++reconnects_;
      Note({{"type", "_reconnected"}});
    }
    first = false;
    if (!customer_id_.empty()) {
      client.SendText(nlohmann::json{{"type", "subscribe"}, {"customerId", customer_id_}}.dump());
    } else {
      const auto last = LastVersions();
      for (const auto& id : order_ids_) {
        nlohmann::json subscribe{{"type", "subscribe"}, {"orderId", id}};
        if (auto it = last.find(id); it != last.end()) subscribe["sinceVersion"] = it->second;
        client.SendText(subscribe.dump());
      }
    }
    while (!stop_) {
      const auto text = client.Receive(std::chrono::milliseconds(200));
      if (text) {
        Note(nlohmann::json::parse(*text, nullptr, false));
        continue;
      }
      if (client.closed()) {
        Note({{"type", "_closed"}, {"code", client.close_code()}});
        break;
      }
    }
  }
}

}  // namespace orders::testing

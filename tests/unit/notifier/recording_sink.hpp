#pragma once
// A hub Sink that keeps what it was sent, for the hub's unit tests.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/notifier/hub.hpp>

namespace orders::notifier {

class RecordingSink : public Sink {
 public:
  void SendText(const std::string& text) override {
    messages.push_back(nlohmann::json::parse(text));
    sizes.push_back(text.size());
  }
  void Close(std::uint16_t code, const std::string&) override {
    closed_with = code;
    ++closes;
  }
  // The messages of one type ("update", "snapshot", "error", "result").
  std::vector<nlohmann::json> OfType(const std::string& type) const {
    std::vector<nlohmann::json> found;
    for (const auto& message : messages) {
      if (message.contains("type") && message["type"] == type) found.push_back(message);
    }
    return found;
  }
  std::vector<nlohmann::json> messages;
  std::vector<std::size_t> sizes;
  std::uint16_t closed_with = 0;
  int closes = 0;
};

}  // namespace orders::notifier

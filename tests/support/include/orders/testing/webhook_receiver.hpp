#pragma once
// Runs tests/support/webhook_receiver.py as its own process on a free loopback port, in one mode
// ("healthy", "fail-then-recover", "hang", "redirect", "close-mid-response", "reset", "garbage", "slow",
// "trickle", "oversized-head", "big-body", "status"; the script's docstring says what each does), and reads
// back what it received. The process is ended when the object goes.
//
//   WebhookReceiver receiver({"--mode", "fail-then-recover", "--failures", "2"});
//   sender.Post({receiver.Url("/hook"), ...});
//   receiver.Received();  // every request, as recorded before it was answered

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orders::testing {

class WebhookReceiver {
 public:
  // Starts the process with these arguments (--port 0 and --record are added); port() is 0 when
  // it could not start. With `https`, the caller passes --tls-cert/--tls-key and Url is https.
  explicit WebhookReceiver(const std::vector<std::string>& arguments, bool https = false);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  std::string Url(const std::string& path = "/hook") const;

  // Every request received so far, in order: {"method","path","headers" (lower-case names),
  // "body","receivedAt"}.
  std::vector<nlohmann::json> Received() const;
  // How many requests carried this webhook-id.
  int CountOf(const std::string& webhook_id) const;
  // Switches the mode live: {"mode": "healthy"} or {"mode": "slow", "delay_ms": 100}; plain http only.
  void SetMode(const nlohmann::json& mode);

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool https_ = false;
  std::string record_file_;
};

}  // namespace orders::testing

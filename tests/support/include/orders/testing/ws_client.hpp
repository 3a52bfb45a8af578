#pragma once
// A small blocking WebSocket client for tests, over a raw socket: it can send
// well-formed masked frames (the notifier's own codec) or any raw bytes, and
// reads server messages with a timeout.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/notifier/frame_codec.hpp>

namespace orders::testing {

class WsClient {
 public:
  ~WsClient();

  // Kernel receive buffer for the next Connect (a small one makes a client
  // that stops reading fall behind quickly); 0 = the system default.
  void SetReceiveBuffer(int bytes) { receive_buffer_ = bytes; }

  // Connects and completes the handshake; returns the HTTP status of the
  // answer (101 on success).
  int Connect(std::uint16_t port, const std::string& path = "/ws",
              const std::map<std::string, std::string>& headers = {});

  bool SendText(const std::string& text);
  bool SendRaw(const std::string& bytes);

  // Next data message, or nullopt on timeout or close (see close_code()).
  std::optional<std::string> Receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Next message parsed as JSON (discarded on timeout).
  nlohmann::json ReceiveJson(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits for the server's close frame; returns its code (0 if none came).
  std::uint16_t WaitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  std::uint16_t close_code() const { return close_code_; }
  bool closed() const { return closed_; }
  // Stop reading (to simulate a slow consumer) by simply not calling Receive.

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  int receive_buffer_ = 0;
  notifier::FrameParser parser_{notifier::FrameLimits{1 << 24, 1 << 24}, /*expect_masked=*/false};
  std::vector<notifier::WsMessage> inbox_;
  std::string leftover_;
  std::uint16_t close_code_ = 0;
  bool closed_ = false;
};

}  // namespace orders::testing

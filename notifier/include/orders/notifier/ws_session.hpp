#pragma once
// One WebSocket connection on the asio socket taken from RESTinio after the
// handshake. Reads into a fixed 16 KiB buffer and feeds the bounded
// FrameParser (so a frame header declaring 1 GiB costs nothing: close 1009).
// Writes go through a queue bounded in bytes: a subscriber that cannot keep up
// is closed with 1013 (reconnect and resume with sinceVersion) instead of
// growing memory or slowing anyone else. Sends a ping every `ping_interval`
// and closes after two unanswered ones. Runs on the hub's single io thread.
//
// Sending: frames are shared immutable buffers (SendBatcher encodes a message
// fanned out to many sessions once). A session flushes once per handler with
// a non-blocking writev straight away; only when the socket buffer is full
// does it wait for writability, and meanwhile its queue grows up to the bound.

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <asio.hpp>
#include <orders/notifier/frame_codec.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/notifier/send_batcher.hpp>

namespace orders::notifier {

struct SessionOptions {
  FrameLimits frame_limits;
  std::size_t max_queued_bytes = 1 << 20;
  std::chrono::milliseconds ping_interval{20000};
  std::size_t max_control_frames_per_second = 50;
};

struct SessionCounters {
  std::function<void()> slow_closed;                        // closed for falling behind
  std::function<void(std::uint16_t code)> protocol_closed;  // closed for bad frames (1002/1007/1009/1008)
};

class WsSession : public std::enable_shared_from_this<WsSession>, public Sink, public Flushable {
 public:
  WsSession(SessionId id, asio::ip::tcp::socket socket, std::shared_ptr<void> keep_alive, Hub& hub,
            SendBatcher& batcher, SessionOptions options, SessionCounters counters,
            std::optional<platform::Principal> principal);
  ~WsSession() override;

  // Sends `handshake_response` (the 101) and starts reading, writing and pinging.
  void Start(std::string handshake_response);

  void SendText(const std::string& text) override;
  void Close(std::uint16_t code, const std::string& reason) override;
  void Flush() override;

 private:
  void Read();
  void OnBytes(std::string_view bytes);
  void Enqueue(SharedFrame frame);
  void Enqueue(std::string frame) { Enqueue(std::make_shared<const std::string>(std::move(frame))); }
  // Writes what the socket takes now; waits for writability if it takes less.
  void WriteNow();
  // Drops `bytes` written from the front of the outbox.
  void Consume(std::size_t bytes);
  void SchedulePing();
  void Shutdown();

  SessionId id_;
  asio::ip::tcp::socket socket_;
  std::shared_ptr<void> keep_alive_;
  Hub& hub_;
  SendBatcher& batcher_;
  SessionOptions options_;
  SessionCounters counters_;
  std::optional<platform::Principal> principal_;
  FrameParser parser_;
  std::array<char, 16384> buffer_{};
  std::deque<SharedFrame> outbox_;
  std::size_t front_offset_ = 0;  // bytes of outbox_.front() already written
  std::size_t queued_bytes_ = 0;
  std::vector<asio::const_buffer> scratch_;
  bool waiting_writable_ = false;
  bool flush_scheduled_ = false;
  bool closing_ = false;
  bool closed_ = false;
  int unanswered_pings_ = 0;
  std::size_t control_frames_this_second_ = 0;
  Clock::time_point control_window_start_{};
  asio::steady_timer ping_timer_;
};

}  // namespace orders::notifier

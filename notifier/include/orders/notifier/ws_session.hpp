#pragma once
// One WebSocket connection on the asio socket taken from RESTinio after the
// handshake. Waits for the socket to become readable, reads into the
// batcher's shared buffer and feeds the bounded FrameParser (so a frame header
// declaring 1 GiB costs nothing: close 1009). An idle connection holds no
// buffer: its queue and the parser's partial frame are released when empty.
// Writes go through a queue bounded in bytes: a subscriber that cannot keep up
// is closed with 1013 (reconnect and resume with sinceVersion) instead of
// growing memory or slowing anyone else. Sends a ping every `ping_interval`
// and closes after two unanswered ones. Runs on the hub's single io thread.
// It has no timer of its own: the service calls Tick on every session twice a
// second, and the session compares the time with its one deadline (the next
// ping, or the end of the close timeout).
//
// Sending: frames are shared immutable buffers (SendBatcher encodes a message
// fanned out to many sessions once). A session flushes once per handler with
// a non-blocking writev straight away; only when the socket buffer is full
// does it wait for writability, and meanwhile its queue grows up to the bound.
// Before refusing a frame for the bound it first hands the kernel what it
// takes; the pages of a list snapshot may pass the bound by one snapshot.
//
// Pongs (to WebSocket pings and to JSON pings) bypass the bound but never pile
// up: at most the latest of each kind waits, replaced by a newer one, and joins
// the outbox only between frames. A closing session gets `close_timeout` to
// deliver its close frame, then the socket is closed regardless (the ping
// deadline doubles as that deadline). TCP
// keepalive and TCP_USER_TIMEOUT let the kernel drop peers that vanished.

#include <cstdint>
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
  // Pages of a list snapshot are queued together and may go past
  // max_queued_bytes by one snapshot (2 MiB, SnapshotPaging::total_bytes):
  // a client that has not read them yet is not slow.
  std::size_t max_queued_bytes_with_snapshot = (1 << 20) + (2 << 20);
  std::chrono::milliseconds ping_interval{20000};  // checked at every Tick (every 500 ms in the service)
  std::size_t max_control_frames_per_second = 50;
  std::chrono::milliseconds close_timeout{5000};      // to deliver the close frame
  std::chrono::milliseconds tcp_user_timeout{30000};  // unacknowledged data before the kernel gives up
  std::chrono::seconds keepalive_idle{30};            // then probes every 10 s, 3 of them
};

struct SessionCounters {
  std::function<void()> slow_closed;                        // closed for falling behind
  std::function<void(std::uint16_t code)> protocol_closed;  // closed for bad frames (1002/1007/1009/1008)
};

class WsSession : public std::enable_shared_from_this<WsSession>, public Sink, public Flushable {
 public:
  WsSession(SessionId id, asio::ip::tcp::socket socket, std::shared_ptr<void> keep_alive, Hub& hub,
            SendBatcher& batcher, SessionOptions options, SessionCounters counters,
            std::optional<platform::Principal> principal, std::string token = {});
  ~WsSession() override;

  // Sends `handshake_response` (the 101) and starts reading, writing and pinging.
  void Start(std::string handshake_response);

  void SendText(const std::string& text) override { SendData(text, options_.max_queued_bytes); }
  void SendPong(const std::string& text) override;
  void SendSnapshotPage(const std::string& text) override { SendData(text, options_.max_queued_bytes_with_snapshot); }
  void Close(std::uint16_t code, const std::string& reason) override;
  void Flush() override;
  // Sends the ping that is due, or lets a closing socket go whose close
  // timeout passed. The service calls it every 500 ms.
  void Tick(Clock::time_point now) override;

  // Bytes waiting to be written (the outbox and the pending pongs).
  std::size_t queued_bytes() const override {
    return outbox_.bytes() + (pending_pong_ ? pending_pong_->size() : 0) +
           (pending_json_pong_ ? pending_json_pong_->size() : 0);
  }
  // Bytes of buffers this connection holds of its own: its queue's storage
  // and a partly received message (0 for an idle connection).
  std::size_t buffer_bytes() const override { return outbox_.storage_bytes() + parser_.held_bytes(); }

 private:
  // Queues a text frame unless the queue would pass `limit` (then close 1013).
  void SendData(const std::string& text, std::size_t limit);
  // Waits for the peer's next bytes; ReadReady reads what arrived.
  void Read();
  void ReadReady();
  void OnBytes(std::string_view bytes);
  void Enqueue(SharedFrame frame);
  void Enqueue(std::string frame) { Enqueue(std::make_shared<const std::string>(std::move(frame))); }
  // Writes what the socket takes now; waits for writability if it takes less.
  void WriteNow();
  // Writes what the socket takes now without waiting; false on a socket error
  // (left to WriteNow, which may call back into the hub).
  bool WriteWhatFits();
  // Moves the pending pongs to the front of the outbox when no frame is half written.
  void AdmitPongs();
  void FlushSoon();
  void SetTcpOptions();
  // Drops `bytes` written from the front of the outbox.
  void Consume(std::size_t bytes);
  void Shutdown();

  SessionId id_;
  asio::ip::tcp::socket socket_;
  std::shared_ptr<void> keep_alive_;
  Hub& hub_;
  SendBatcher& batcher_;
  SessionOptions options_;
  SessionCounters counters_;
  std::optional<platform::Principal> principal_;
  std::string token_;  // forwarded with the session's commands
  FrameParser parser_;
  Outbox outbox_;
  SharedFrame pending_pong_;       // the answer to the latest WebSocket ping not yet admitted
  SharedFrame pending_json_pong_;  // the answer to the latest JSON ping not yet admitted
  std::size_t front_offset_ = 0;   // bytes of outbox_.front() already written
  bool waiting_writable_ = false;
  bool flush_scheduled_ = false;
  bool closing_ = false;
  bool closed_ = false;
  int unanswered_pings_ = 0;
  std::size_t control_frames_this_second_ = 0;
  Clock::time_point control_window_start_{};
  Clock::time_point deadline_{};  // of the next ping; of the close timeout once closing
};

}  // namespace orders::notifier

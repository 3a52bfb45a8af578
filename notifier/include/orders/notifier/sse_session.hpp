#pragma once
// One GET /events stream: another Sink of the Hub, so it gets exactly the
// messages, permissions and guarantees a WebSocket subscriber gets, each
// written as a Server-Sent Event (sse_format.hpp).
//
// Two phases. Subscribe() attaches to the hub and sends the subscribe message
// while the request is still RESTinio's: when the hub's first answer refuses
// the subscription (forbidden, bad_request, …) nothing has been written, and
// the caller answers that as a problem+json 4xx (EventSource does not retry a
// non-200 answer, so a refusal does not become a reconnect loop). Otherwise
// Start() takes over the connection, writes the 200 head, the retry hint and
// what the hub already answered (the snapshot), and streams from then on.
//
// Writing works like the WebSocket session's: shared immutable event
// buffers, one non-blocking writev per handler (SendBatcher), a wait for
// writability only when the kernel's buffer is full, and a queue bounded in
// bytes (list snapshots may pass it by one snapshot). A reader that falls
// behind the bound, or that has not taken a byte for two heartbeat periods
// while data waits, is disconnected at once (its queue freed): it reconnects
// and resumes with Last-Event-ID. A comment heartbeat goes out when the
// stream is idle. An error event after the start (not_found after the wait,
// an expired token) ends the stream. Reads only to notice the peer leaving.

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <asio.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/notifier/send_batcher.hpp>
#include <orders/notifier/sse_format.hpp>

namespace orders::notifier {

struct SseSessionOptions {
  std::size_t max_queued_bytes = 1 << 20;
  std::size_t max_queued_bytes_with_snapshot = (1 << 20) + (2 << 20);  // see SessionOptions
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds retry{3000};
  std::chrono::milliseconds close_timeout{5000};      // to deliver the final event
  std::chrono::milliseconds tcp_user_timeout{30000};  // unacknowledged data before the kernel gives up
  std::chrono::seconds keepalive_idle{30};
};

class SseSession : public std::enable_shared_from_this<SseSession>, public Sink, public Flushable {
 public:
  SseSession(SessionId id, asio::io_context& io, Hub& hub, SendBatcher& batcher, SseEventCache& events,
             SseSessionOptions options, std::function<void()> slow_closed);
  ~SseSession() override;

  // Attaches to the hub and subscribes. The hub's error message (JSON) when
  // its first answer refused the subscription: the session is then detached
  // and must not be started.
  std::optional<std::string> Subscribe(std::optional<platform::Principal> principal, std::string token,
                                       const std::string& subscribe_message);
  // Takes over the connection: writes `response_head`, the retry hint and
  // what the hub has queued so far, then streams.
  void Start(asio::ip::tcp::socket socket, std::shared_ptr<void> keep_alive, const std::string& response_head);

  void SendText(const std::string& text) override { SendData(text, options_.max_queued_bytes); }
  void SendSnapshotPage(const std::string& text) override { SendData(text, options_.max_queued_bytes_with_snapshot); }
  // 1008 (token expired) ends the stream with an error event; any other code
  // (1001 on shutdown) just ends it once the queue is written.
  void Close(std::uint16_t code, const std::string& reason) override;
  void Flush() override;

  std::size_t queued_bytes() const override { return queued_bytes_; }
  std::size_t buffer_bytes() const override { return outbox_.storage_bytes(); }

 private:
  void SendData(const std::string& text, std::size_t limit);
  void Enqueue(std::shared_ptr<const std::string> frame);
  void FlushSoon();
  bool WriteWhatFits();
  void WriteNow();
  void Consume(std::size_t bytes);
  void Read();
  void ScheduleHeartbeat();
  // Ends the stream after what is queued (bounded by close_timeout).
  void Finish();
  // Drops the connection and the queue now.
  void CutOff();
  void Shutdown();
  void SetTcpOptions();

  SessionId id_;
  asio::ip::tcp::socket socket_;
  std::shared_ptr<void> keep_alive_;
  Hub& hub_;
  SendBatcher& batcher_;
  SseEventCache& events_;
  SseSessionOptions options_;
  std::function<void()> slow_closed_;
  Outbox outbox_;  // holds memory only while events wait
  std::size_t front_offset_ = 0;
  std::size_t queued_bytes_ = 0;
  std::optional<std::string> first_answer_;  // the hub's first message before Start
  std::uint64_t written_total_ = 0;
  std::uint64_t written_at_last_beat_ = 0;
  int beats_without_progress_ = 0;
  bool head_pending_ = false;  // the response head is the front of the outbox, not yet all written
  bool attached_ = false;
  bool started_ = false;
  bool waiting_writable_ = false;
  bool flush_scheduled_ = false;
  bool closing_ = false;
  bool closed_ = false;
  asio::steady_timer timer_;  // heartbeat, then the close deadline
};

}  // namespace orders::notifier

#include <orders/notifier/ws_session.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <utility>

#include <orders/platform/log.hpp>

namespace orders::notifier {

WsSession::WsSession(SessionId id, asio::ip::tcp::socket socket, std::shared_ptr<void> keep_alive, Hub& hub,
                     SendBatcher& batcher, SessionOptions options, SessionCounters counters,
                     std::optional<platform::Principal> principal, std::string token)
    : id_(id),
      socket_(std::move(socket)),
      keep_alive_(std::move(keep_alive)),
      hub_(hub),
      batcher_(batcher),
      options_(options),
      counters_(std::move(counters)),
      principal_(std::move(principal)),
      token_(std::move(token)),
      parser_(options.frame_limits, /*expect_masked=*/true) {}

WsSession::~WsSession() = default;

void WsSession::Start(std::string handshake_response) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);
  SetTcpOptions();
  // The hub keeps who the session is; nothing here needs it again.
  hub_.Attach(id_, *this, std::exchange(principal_, std::nullopt), std::move(token_));
  Enqueue(std::move(handshake_response));
  Read();
  deadline_ = Clock::now() + options_.ping_interval;
}

void WsSession::SetTcpOptions() {
  // Best effort: a socket without them still works, it just relies on the
  // close deadline and pings to notice a vanished peer.
  asio::error_code ignored;
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  const int fd = socket_.native_handle();
  const int idle = static_cast<int>(options_.keepalive_idle.count());
  const int interval = 10;
  const int probes = 3;
  const unsigned user_timeout = static_cast<unsigned>(options_.tcp_user_timeout.count());
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

void WsSession::Read() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](asio::error_code error) {
    if (error) {
      self->Shutdown();
      return;
    }
    if (!self->closed_) self->ReadReady();
  });
}

void WsSession::ReadReady() {
  // A few reads at most, then back to waiting, so one busy peer cannot keep
  // the thread from the others.
  constexpr int kMaxReadsPerWakeUp = 4;
  for (int i = 0; i < kMaxReadsPerWakeUp && !closed_; ++i) {
    const asio::mutable_buffer buffer = batcher_.ReadBuffer();
    asio::error_code error;
    const std::size_t n = socket_.read_some(buffer, error);
    if (error == asio::error::would_block || error == asio::error::try_again) break;
    if (error) {  // the peer closed (eof) or the connection broke
      Shutdown();
      return;
    }
    OnBytes(std::string_view(static_cast<const char*>(buffer.data()), n));
    if (n < buffer.size()) break;  // the socket is drained
  }
  if (!closed_) Read();
}

void WsSession::OnBytes(std::string_view bytes) {
  std::vector<WsMessage> messages;
  const auto error = parser_.Feed(bytes, messages);
  for (auto& message : messages) {
    if (closing_) break;
    switch (message.opcode) {
      case Opcode::kText:
        hub_.OnClientText(id_, message.payload, Clock::now());
        break;
      case Opcode::kBinary:
        Close(close_code::kUnsupportedData, "text frames only");
        break;
      case Opcode::kPing: {
        const auto now = Clock::now();
        if (now - control_window_start_ > std::chrono::seconds(1)) {
          control_window_start_ = now;
          control_frames_this_second_ = 0;
        }
        if (++control_frames_this_second_ > options_.max_control_frames_per_second) {
          if (counters_.protocol_closed) counters_.protocol_closed(close_code::kPolicyViolation);
          Close(close_code::kPolicyViolation, "ping flood");
          break;
        }
        // Only the latest ping needs an answer (RFC 6455 5.5.3).
        pending_pong_ = std::make_shared<const std::string>(EncodeFrame(Opcode::kPong, message.payload));
        FlushSoon();
        break;
      }
      case Opcode::kPong:
        unanswered_pings_ = 0;
        break;
      case Opcode::kClose:
        Close(close_code::kNormal, "");
        break;
      case Opcode::kContinuation:
        break;
    }
  }
  if (error && !closing_) {
    if (counters_.protocol_closed) counters_.protocol_closed(error->close_code);
    Close(error->close_code, error->reason);
  }
}

void WsSession::SendData(const std::string& text, std::size_t limit) {
  if (closing_) return;
  SharedFrame frame = batcher_.TextFrame(text);
  // Hand the kernel what it takes now before judging the client slow.
  if (outbox_.bytes() + frame->size() > limit && !waiting_writable_ && !closed_) WriteWhatFits();
  if (outbox_.bytes() + frame->size() > limit) {
    if (counters_.slow_closed) counters_.slow_closed();
    Close(close_code::kTryAgainLater, "too slow; reconnect and resume with sinceVersion");
    return;
  }
  Enqueue(std::move(frame));
}

void WsSession::SendPong(const std::string& text) {
  if (closing_) return;
  pending_json_pong_ = batcher_.TextFrame(text);
  FlushSoon();
}

// Control frames (ping, close, the handshake answer) bypass the byte limit
// but count in it; there are at most a few of them.
void WsSession::Enqueue(SharedFrame frame) {
  outbox_.push_back(std::move(frame));
  FlushSoon();
}

void WsSession::FlushSoon() {
  if (waiting_writable_ || flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  batcher_.FlushLater(shared_from_this());
}

void WsSession::AdmitPongs() {
  if (front_offset_ > 0) return;
  for (SharedFrame* pong : {&pending_json_pong_, &pending_pong_}) {
    if (!*pong) continue;
    outbox_.push_front(std::move(*pong));
    pong->reset();
  }
}

void WsSession::Flush() {
  flush_scheduled_ = false;
  if (!waiting_writable_ && !closed_) WriteNow();
}

bool WsSession::WriteWhatFits() {
  constexpr std::size_t kMaxFramesPerWrite = 64;
  AdmitPongs();
  auto& list = batcher_.WriteList();
  while (!outbox_.empty()) {
    list.clear();
    for (std::size_t i = 0; i < outbox_.size() && list.size() < kMaxFramesPerWrite; ++i) {
      const SharedFrame& frame = outbox_.at(i);
      const std::size_t skip = list.empty() ? front_offset_ : 0;
      list.push_back(asio::buffer(frame->data() + skip, frame->size() - skip));
    }
    asio::error_code error;
    // One frame (the usual case at a moderate rate) goes with send(2): the
    // kernel then skips copying in a message header and an iovec.
    const std::size_t written =
        list.size() == 1 ? socket_.write_some(asio::buffer(list.front()), error) : socket_.write_some(list, error);
    if (error == asio::error::would_block || error == asio::error::try_again) break;
    if (error) return false;
    Consume(written);
    AdmitPongs();
  }
  return true;
}

void WsSession::WriteNow() {
  if (!WriteWhatFits()) {
    Shutdown();
    return;
  }
  if (outbox_.empty() && !pending_pong_ && !pending_json_pong_) {
    if (closing_) Shutdown();
    return;
  }
  // The socket buffer is full: continue when it drains.
  waiting_writable_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write, [self = shared_from_this()](asio::error_code error) {
    self->waiting_writable_ = false;
    if (error) {
      self->Shutdown();
      return;
    }
    if (!self->closed_) self->WriteNow();
  });
}

void WsSession::Consume(std::size_t bytes) {
  while (bytes > 0 && !outbox_.empty()) {
    const std::size_t left_in_front = outbox_.front()->size() - front_offset_;
    if (bytes < left_in_front) {
      front_offset_ += bytes;
      return;
    }
    bytes -= left_in_front;
    outbox_.pop_front();
    front_offset_ = 0;
  }
}

void WsSession::Close(std::uint16_t code, const std::string& reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  // The hub may be calling us (Send -> Close); let it finish before detaching.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->hub_.Detach(self->id_); });
  // Drop queued frames that have not started; the close frame goes next.
  while (outbox_.size() > (front_offset_ > 0 ? 1u : 0u)) outbox_.pop_back();
  pending_pong_.reset();
  pending_json_pong_.reset();
  Enqueue(EncodeClose(code, reason));
  // A peer that does not read cannot receive the close frame: give it
  // close_timeout, then let the socket go (Tick, once the deadline passed).
  deadline_ = Clock::now() + options_.close_timeout;
}

void WsSession::Tick(Clock::time_point now) {
  if (closed_ || now < deadline_) return;
  if (closing_) {
    Shutdown();
    return;
  }
  if (++unanswered_pings_ > 2) {
    Close(close_code::kPolicyViolation, "no pong");
    return;
  }
  Enqueue(EncodeFrame(Opcode::kPing, "keepalive"));
  deadline_ = now + options_.ping_interval;
}

void WsSession::Shutdown() {
  if (closed_) return;
  closed_ = true;
  if (!closing_) hub_.Detach(id_);  // else the Detach posted by Close() runs
  closing_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  keep_alive_.reset();
}

}  // namespace orders::notifier

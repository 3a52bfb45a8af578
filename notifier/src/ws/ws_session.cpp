#include <orders/notifier/ws_session.hpp>

#include <orders/platform/log.hpp>

namespace orders::notifier {

WsSession::WsSession(SessionId id, asio::ip::tcp::socket socket, std::shared_ptr<void> keep_alive, Hub& hub,
                     SessionOptions options, SessionCounters counters,
                     std::optional<platform::Principal> principal)
    : id_(id),
      socket_(std::move(socket)),
      keep_alive_(std::move(keep_alive)),
      hub_(hub),
      options_(options),
      counters_(std::move(counters)),
      principal_(std::move(principal)),
      parser_(options.frame_limits, /*expect_masked=*/true),
      ping_timer_(socket_.get_executor()) {}

WsSession::~WsSession() = default;

void WsSession::Start(std::string handshake_response) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  hub_.Attach(id_, *this, principal_);
  Enqueue(std::move(handshake_response), /*control=*/true);
  Read();
  SchedulePing();
}

void WsSession::Read() {
  socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](asio::error_code error, std::size_t n) {
    if (error) {
      self->Shutdown();
      return;
    }
    self->OnBytes(std::string_view(self->buffer_.data(), n));
    if (!self->closed_) self->Read();
  });
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
        Enqueue(EncodeFrame(Opcode::kPong, message.payload), /*control=*/true);
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

void WsSession::SendText(const std::string& text) {
  if (closing_) return;
  std::string frame = EncodeFrame(Opcode::kText, text);
  if (queued_bytes_ + frame.size() > options_.max_queued_bytes) {
    if (counters_.slow_closed) counters_.slow_closed();
    Close(close_code::kTryAgainLater, "too slow; reconnect and resume with sinceVersion");
    return;
  }
  Enqueue(std::move(frame), /*control=*/false);
}

void WsSession::Enqueue(std::string frame, bool control) {
  (void)control;  // control frames bypass the byte limit but still count in it
  queued_bytes_ += frame.size();
  outbox_.push_back(std::move(frame));
  Write();
}

void WsSession::Write() {
  if (writing_ || outbox_.empty() || closed_) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(outbox_.front()),
                    [self = shared_from_this()](asio::error_code error, std::size_t) {
                      self->writing_ = false;
                      if (error) {
                        self->Shutdown();
                        return;
                      }
                      self->queued_bytes_ -= self->outbox_.front().size();
                      self->outbox_.pop_front();
                      if (self->outbox_.empty() && self->closing_) {
                        self->Shutdown();
                        return;
                      }
                      self->Write();
                    });
}

void WsSession::Close(std::uint16_t code, const std::string& reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  // The hub may be calling us (Send -> Close); let it finish before detaching.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->hub_.Detach(self->id_); });
  // Drop queued data frames that have not started; the close frame goes next.
  while (outbox_.size() > (writing_ ? 1u : 0u)) {
    queued_bytes_ -= outbox_.back().size();
    outbox_.pop_back();
  }
  Enqueue(EncodeClose(code, reason), /*control=*/true);
}

void WsSession::SchedulePing() {
  ping_timer_.expires_after(options_.ping_interval);
  ping_timer_.async_wait([self = shared_from_this()](asio::error_code error) {
    if (error || self->closed_ || self->closing_) return;
    if (++self->unanswered_pings_ > 2) {
      self->Close(close_code::kPolicyViolation, "no pong");
      return;
    }
    self->Enqueue(EncodeFrame(Opcode::kPing, "keepalive"), /*control=*/true);
    self->SchedulePing();
  });
}

void WsSession::Shutdown() {
  if (closed_) return;
  closed_ = true;
  if (!closing_) hub_.Detach(id_);  // else the Detach posted by Close() runs
  closing_ = true;
  ping_timer_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  keep_alive_.reset();
}

}  // namespace orders::notifier

#include <orders/notifier/sse_session.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <orders/notifier/protocol.hpp>

namespace orders::notifier {

SseSession::SseSession(SessionId id, asio::io_context& io, Hub& hub, SendBatcher& batcher, SseEventCache& events,
                       SseSessionOptions options, std::function<void()> slow_closed)
    : id_(id),
      socket_(io),
      hub_(hub),
      batcher_(batcher),
      events_(events),
      options_(options),
      slow_closed_(std::move(slow_closed)),
      timer_(io) {}

SseSession::~SseSession() = default;

std::optional<std::string> SseSession::Subscribe(std::optional<platform::Principal> principal, std::string token,
                                                 const std::string& subscribe_message) {
  hub_.Attach(id_, *this, std::move(principal), std::move(token));
  attached_ = true;
  hub_.OnClientText(id_, subscribe_message, Clock::now());
  if (first_answer_ && DescribeHubMessage(*first_answer_).event == "error") {
    hub_.Detach(id_);
    attached_ = false;
    closed_ = closing_ = true;
    return first_answer_;
  }
  return std::nullopt;
}

void SseSession::Start(asio::ip::tcp::socket socket, std::shared_ptr<void> keep_alive,
                       const std::string& response_head) {
  socket_ = std::move(socket);
  keep_alive_ = std::move(keep_alive);
  started_ = true;
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);
  SetTcpOptions();
  // The head and the retry hint go before whatever the hub queued meanwhile.
  const std::string preamble = response_head + SseRetryHint(options_.retry);
  outbox_.push_front(std::make_shared<const std::string>(preamble));
  queued_bytes_ += preamble.size();
  head_pending_ = true;
  if (closed_) {
    Shutdown();
    return;
  }
  Read();
  if (!closing_) ScheduleHeartbeat();
  FlushSoon();
}

void SseSession::SetTcpOptions() {
  // Best effort, as for the WebSocket: the kernel drops peers that vanished.
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

void SseSession::Read() {
  // The client has nothing to say after its request; reading only tells us
  // when it leaves. What it sends anyway is dropped.
  // It waits for readability and reads into the sessions' shared buffer, so
  // an idle stream holds no read buffer of its own.
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](asio::error_code error) {
    if (error) {
      self->Shutdown();
      return;
    }
    if (self->closed_) return;
    asio::error_code read_error;
    self->socket_.read_some(self->batcher_.ReadBuffer(), read_error);
    if (read_error && read_error != asio::error::would_block && read_error != asio::error::try_again) {
      self->Shutdown();  // the client left (eof) or the connection broke
      return;
    }
    self->Read();
  });
}

void SseSession::SendData(const std::string& text, std::size_t limit) {
  if (closing_) return;
  if (!started_ && !first_answer_) first_answer_ = text;
  const auto encoded = events_.EventOf(text);
  const auto& frame = encoded.frame;
  // Hand the kernel what it takes now before judging the reader slow.
  if (started_ && queued_bytes_ + frame->size() > limit && !waiting_writable_) WriteWhatFits();
  if (queued_bytes_ + frame->size() > limit) {
    CutOff();
    return;
  }
  Enqueue(frame);
  // After the start an error ends the subscription, and with it the stream.
  if (started_ && encoded.is_error) Finish();
}

void SseSession::Enqueue(std::shared_ptr<const std::string> frame) {
  queued_bytes_ += frame->size();
  outbox_.push_back(std::move(frame));
  FlushSoon();
}

void SseSession::FlushSoon() {
  if (!started_ || waiting_writable_ || flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  batcher_.FlushLater(shared_from_this());
}

void SseSession::Flush() {
  flush_scheduled_ = false;
  if (!waiting_writable_ && !closed_) WriteNow();
}

bool SseSession::WriteWhatFits() {
  constexpr std::size_t kMaxEventsPerWrite = 64;
  auto& list = batcher_.WriteList();
  while (!outbox_.empty()) {
    list.clear();
    for (std::size_t i = 0; i < outbox_.size() && list.size() < kMaxEventsPerWrite; ++i) {
      const auto& frame = outbox_.at(i);
      const std::size_t skip = list.empty() ? front_offset_ : 0;
      list.push_back(asio::buffer(frame->data() + skip, frame->size() - skip));
    }
    asio::error_code error;
    const std::size_t written = socket_.write_some(list, error);
    if (error == asio::error::would_block || error == asio::error::try_again) break;
    if (error) return false;
    written_total_ += written;
    Consume(written);
  }
  return true;
}

void SseSession::WriteNow() {
  if (!WriteWhatFits()) {
    Shutdown();
    return;
  }
  if (outbox_.empty()) {
    if (closing_) Shutdown();
    return;
  }
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

void SseSession::Consume(std::size_t bytes) {
  while (bytes > 0 && !outbox_.empty()) {
    const std::size_t left_in_front = outbox_.front()->size() - front_offset_;
    if (bytes < left_in_front) {
      front_offset_ += bytes;
      return;
    }
    bytes -= left_in_front;
    queued_bytes_ -= outbox_.front()->size();
    outbox_.pop_front();
    front_offset_ = 0;
    head_pending_ = false;
  }
}

void SseSession::ScheduleHeartbeat() {
  timer_.expires_after(options_.heartbeat);
  timer_.async_wait([self = shared_from_this()](asio::error_code error) {
    if (error || self->closing_ || self->closed_) return;
    if (self->outbox_.empty()) {
      static const auto heartbeat = std::make_shared<const std::string>(kSseHeartbeat);
      self->beats_without_progress_ = 0;
      self->Enqueue(heartbeat);
    } else if (self->written_total_ == self->written_at_last_beat_) {
      // Data waits and the reader took nothing for a whole period: on a quiet
      // stream the byte bound alone would never notice a reader that stopped.
      if (++self->beats_without_progress_ >= 2) {
        self->CutOff();
        return;
      }
    } else {
      self->beats_without_progress_ = 0;
    }
    self->written_at_last_beat_ = self->written_total_;
    self->ScheduleHeartbeat();
  });
}

void SseSession::Close(std::uint16_t code, const std::string& reason) {
  if (closing_ || closed_) return;
  // Drop queued events that have not started (never the head); the final event goes next.
  while (outbox_.size() > (front_offset_ > 0 || head_pending_ ? 1u : 0u)) {
    queued_bytes_ -= outbox_.back()->size();
    outbox_.pop_back();
  }
  if (code == 1008) {
    const std::string text = ErrorMessage("forbidden", reason.empty() ? "session closed by policy" : reason);
    Enqueue(std::make_shared<const std::string>(SseEventOf(text)));
  }
  Finish();
}

void SseSession::Finish() {
  if (closing_ || closed_) return;
  closing_ = true;
  // The hub may be calling us; let it finish before detaching.
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->attached_) self->hub_.Detach(self->id_);
    self->attached_ = false;
  });
  if (!started_) return;  // Start() ends it after writing the head
  // A reader that does not read cannot take the last events: give it
  // close_timeout, then let the socket go.
  timer_.cancel();
  timer_.expires_after(options_.close_timeout);
  timer_.async_wait([self = shared_from_this()](asio::error_code error) {
    if (!error) self->Shutdown();
  });
  FlushSoon();
}

void SseSession::CutOff() {
  if (slow_closed_) slow_closed_();
  outbox_.clear();
  queued_bytes_ = 0;
  front_offset_ = 0;
  if (!closing_) {
    closing_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->attached_) self->hub_.Detach(self->id_);
      self->attached_ = false;
    });
  }
  if (started_) {
    // Not from inside the hub's delivery loop: the socket goes in a moment.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Shutdown(); });
  } else {
    closed_ = true;
  }
}

void SseSession::Shutdown() {
  if (closed_ && !socket_.is_open()) return;
  closed_ = closing_ = true;
  if (attached_) {
    hub_.Detach(id_);
    attached_ = false;
  }
  timer_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  keep_alive_.reset();
}

}  // namespace orders::notifier

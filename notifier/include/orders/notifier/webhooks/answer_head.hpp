#pragma once
// AnswerHead: reads a webhook receiver's answer just far enough to judge it. The status line and
// the headers decide (2xx or not); the body is never needed, so it is never read. Interim 1xx
// answers are skipped. At most `max_bytes` are taken in: a receiver cannot make the notifier
// buffer more than that, however long its headers. Pure: the socket work is in the sender.
//
// For keep-alive, it also tells whether the connection can carry another request once the
// answer's body is read: HTTP/1.1, no `Connection: close`, and a body framed by Content-Length
// (or none at all). Anything else (chunked, HTTP/1.0, a body ending at the close, conflicting
// lengths) means the connection is closed after this answer.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace orders::notifier::webhooks {

class AnswerHead {
 public:
  enum class State {
    kIncomplete,  // more bytes are needed
    kComplete,    // status() holds the final status
    kTooLarge,    // no complete head within max_bytes
    kMalformed,   // not an HTTP/1.x answer
  };

  explicit AnswerHead(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // How many more bytes Feed may be given (the caller reads no more than this from the socket).
  std::size_t Room() const { return max_bytes_ - taken_; }
  // Feeds bytes received; at most Room() of them.
  State Feed(std::string_view bytes);
  State state() const { return state_; }
  int status() const { return status_; }
  // Whether any byte of an answer arrived (to tell "closed without an answer" from "closed mid-answer").
  bool started() const { return taken_ > 0; }

  // Once kComplete: how many body bytes follow the head before the connection may carry another
  // request (0 for 1xx/204/304 and Content-Length: 0); nullopt when it must not be reused.
  std::optional<std::size_t> ReusableBodyLength() const { return reusable_body_; }
  // Once kComplete: the bytes already taken in past the head (the start of the body).
  std::string_view Surplus() const { return std::string_view(buffer_).substr(head_end_); }

 private:
  State Parse();
  std::optional<std::size_t> JudgeReuse(std::string_view head) const;

  std::size_t max_bytes_;
  std::size_t taken_ = 0;
  std::string buffer_;
  int status_ = 0;
  std::size_t head_end_ = 0;  // where the final answer's body starts in buffer_
  std::optional<std::size_t> reusable_body_;
  State state_ = State::kIncomplete;
};

}  // namespace orders::notifier::webhooks

#pragma once
// AnswerHead: reads a webhook receiver's answer just far enough to judge it. The status line and
// the headers decide (2xx or not); the body is never needed, so it is never read. Interim 1xx
// answers are skipped. At most `max_bytes` are taken in: a receiver cannot make the notifier
// buffer more than that, however long its headers. Pure: the socket work is in the sender.

#include <cstddef>
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

 private:
  State Parse();

  std::size_t max_bytes_;
  std::size_t taken_ = 0;
  std::string buffer_;
  int status_ = 0;
  State state_ = State::kIncomplete;
};

}  // namespace orders::notifier::webhooks

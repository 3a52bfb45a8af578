#include <orders/notifier/webhooks/answer_head.hpp>

#include <cctype>

namespace orders::notifier::webhooks {

AnswerHead::State AnswerHead::Feed(std::string_view bytes) {
  if (state_ != State::kIncomplete) return state_;
  if (bytes.size() > Room()) bytes = bytes.substr(0, Room());
  taken_ += bytes.size();
  buffer_.append(bytes);
  state_ = Parse();
  if (state_ == State::kIncomplete && Room() == 0) state_ = State::kTooLarge;
  return state_;
}

AnswerHead::State AnswerHead::Parse() {
  while (true) {
    // Judge the status line as soon as it is in: a peer that is not speaking HTTP is told apart
    // from a slow one without waiting for the deadline.
    const auto line_end = buffer_.find("\r\n");
    const std::string_view line = std::string_view(buffer_).substr(0, line_end);
    const bool prefix_ok = std::string_view("HTTP/1.").substr(0, line.size()) == line.substr(0, 7);
    if (!prefix_ok) return State::kMalformed;
    if (line_end == std::string::npos) return State::kIncomplete;
    if (line.size() < 12 || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        !std::isdigit(static_cast<unsigned char>(line[9])) || !std::isdigit(static_cast<unsigned char>(line[10])) ||
        !std::isdigit(static_cast<unsigned char>(line[11])) || (line.size() > 12 && line[12] != ' ')) {
      return State::kMalformed;
    }
    const int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status < 100) return State::kMalformed;
    const auto head_end = buffer_.find("\r\n\r\n");
    if (head_end == std::string::npos) return State::kIncomplete;
    if (status >= 200) {
      status_ = status;
      return State::kComplete;
    }
    buffer_.erase(0, head_end + 4);  // 100 Continue and friends: the real answer follows
  }
}

}  // namespace orders::notifier::webhooks

#include <orders/notifier/webhooks/answer_head.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace orders::notifier::webhooks {
namespace {

bool SameLetters(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool ListsToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (SameLetters(Trimmed(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

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
      head_end_ = head_end + 4;
      reusable_body_ = JudgeReuse(std::string_view(buffer_).substr(0, head_end + 2));
      return State::kComplete;
    }
    buffer_.erase(0, head_end + 4);  // 100 Continue and friends: the real answer follows
  }
}

std::optional<std::size_t> AnswerHead::JudgeReuse(std::string_view head) const {
  // HTTP/1.0 closes by default; keep-alive on it is not worth the guesswork.
  if (head.substr(0, 8) != "HTTP/1.1") return std::nullopt;
  std::optional<std::size_t> length;
  bool framed = status_ == 204 || status_ == 304;  // never a body
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const std::size_t start = at + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    at = end;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trimmed(line.substr(colon + 1));
    if (SameLetters(name, "connection")) {
      if (ListsToken(value, "close")) return std::nullopt;
    } else if (SameLetters(name, "transfer-encoding")) {
      return std::nullopt;  // chunked bodies are not read: the connection goes
    } else if (SameLetters(name, "content-length")) {
      std::size_t parsed = 0;
      const auto [end_of_number, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (value.empty() || error != std::errc() || end_of_number != value.data() + value.size()) return std::nullopt;
      if (length && *length != parsed) return std::nullopt;  // conflicting lengths: who knows where it ends
      length = parsed;
    }
  }
  if (framed) return std::size_t{0};
  return length;
}

}  // namespace orders::notifier::webhooks

#include <orders/notifier/http_response.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <orders/platform/http_url.hpp>

namespace orders::notifier {
namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

constexpr std::size_t kMaxHeadBytes = 16 * 1024;

}  // namespace

std::optional<HttpEndpoint> ParseHttpUrl(std::string_view url) {
  // The shared parser, narrowed to what CommandApiClient speaks: plain http, no query.
  const auto parsed = platform::ParseHttpUrl(url);
  if (!parsed || parsed->https() || parsed->query) return std::nullopt;
  HttpEndpoint endpoint;
  endpoint.host = parsed->host;
  endpoint.port = parsed->PortText();
  endpoint.base_path = parsed->path;
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') endpoint.base_path.pop_back();
  endpoint.host_header = parsed->HostHeader();
  return endpoint;
}

HttpResponseReader::State HttpResponseReader::Feed(std::string_view bytes) {
  if (state_ != State::kIncomplete) return state_;
  received_ += bytes.size();
  if (received_ > max_bytes_ + kMaxHeadBytes) return state_ = State::kBad;
  buffer_.append(bytes);
  return state_ = Progress();
}

HttpResponseReader::State HttpResponseReader::FeedEnd() {
  if (state_ != State::kIncomplete) return state_;
  keep_alive_ = false;
  // Only a body without a length ends with the connection.
  if (head_done_ && !content_length_ && !chunked_) {
    body_ += buffer_;
    buffer_.clear();
    return state_ = State::kComplete;
  }
  return state_ = State::kBad;
}

HttpResponseReader::State HttpResponseReader::ParseHead(std::string_view head) {
  // Status line: HTTP/1.x NNN reason
  const auto line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12 || status_line[8] != ' ') return State::kBad;
  const std::string_view code = status_line.substr(9, 3);
  if (!AllDigits(code)) return State::kBad;
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (status_line.substr(0, 8) == "HTTP/1.0") keep_alive_ = false;
  std::string_view fields = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!fields.empty()) {
    const auto end = fields.find("\r\n");
    const std::string_view line = fields.substr(0, end);
    fields = end == std::string_view::npos ? std::string_view() : fields.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return State::kBad;
    const std::string name = Lower(TrimSpaces(line.substr(0, colon)));
    const std::string value = Lower(TrimSpaces(line.substr(colon + 1)));
    if (name == "content-length") {
      std::size_t length = 0;
      auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (error != std::errc() || ptr != value.data() + value.size()) return State::kBad;
      if (content_length_ && *content_length_ != length) return State::kBad;
      if (length > max_bytes_) return State::kBad;
      content_length_ = length;
    } else if (name == "transfer-encoding") {
      if (value != "chunked") return State::kBad;
      chunked_ = true;
    } else if (name == "connection") {
      if (value.find("close") != std::string::npos) keep_alive_ = false;
    }
  }
  if (chunked_ && content_length_) return State::kBad;
  // 1xx, 204 and 304 have no body.
  if (status_ < 200 || status_ == 204 || status_ == 304) content_length_ = 0;
  if (!content_length_ && !chunked_) keep_alive_ = false;  // the body ends with the connection
  return State::kIncomplete;
}

HttpResponseReader::State HttpResponseReader::Progress() {
  if (!head_done_) {
    const auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return buffer_.size() > kMaxHeadBytes ? State::kBad : State::kIncomplete;
    if (ParseHead(std::string_view(buffer_).substr(0, end)) == State::kBad) return State::kBad;
    head_done_ = true;
    buffer_.erase(0, end + 4);
  }
  if (content_length_) {
    if (buffer_.size() < *content_length_) return State::kIncomplete;
    // Bytes past the body would be a response nobody asked for.
    if (buffer_.size() > *content_length_) return State::kBad;
    body_ = std::move(buffer_);
    buffer_.clear();
    return State::kComplete;
  }
  if (!chunked_) {
    if (buffer_.size() > max_bytes_) return State::kBad;
    return State::kIncomplete;  // until the connection closes
  }
  // Chunked: size line, data, CRLF; a zero size then the trailers' empty line.
  while (true) {
    const auto line_end = buffer_.find("\r\n");
    if (line_end == std::string::npos) return buffer_.size() > 64 ? State::kBad : State::kIncomplete;
    std::string_view size_text = std::string_view(buffer_).substr(0, line_end);
    size_text = size_text.substr(0, size_text.find(';'));
    std::size_t size = 0;
    auto [ptr, error] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (error != std::errc() || ptr != size_text.data() + size_text.size()) return State::kBad;
    if (size == 0) {
      const auto trailers_end = buffer_.find("\r\n\r\n", line_end);
      if (line_end + 2 + 2 <= buffer_.size() && buffer_.compare(line_end + 2, 2, "\r\n") == 0) return State::kComplete;
      if (trailers_end == std::string::npos) return State::kIncomplete;
      return State::kComplete;
    }
    if (body_.size() + size > max_bytes_) return State::kBad;
    if (buffer_.size() < line_end + 2 + size + 2) return State::kIncomplete;
    if (buffer_.compare(line_end + 2 + size, 2, "\r\n") != 0) return State::kBad;
    body_.append(buffer_, line_end + 2, size);
    buffer_.erase(0, line_end + 2 + size + 2);
  }
}

}  // namespace orders::notifier

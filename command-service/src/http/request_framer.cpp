#include <orders/command/request_framer.hpp>

#include <algorithm>
#include <cctype>

namespace orders::command {
namespace {

using Result = RequestFramer::Result;

bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); });
}

// Visible ASCII only: no space, control character, NUL, DEL or raw non-ASCII byte.
bool IsVisibleAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// A field value may hold visible characters, spaces, tabs and (obsolete) bytes >= 0x80, nothing else.
bool IsFieldValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
  });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void RequestFramer::Append(std::string_view bytes) {
  if (refused_) return;
  if (buffer_.size() + bytes.size() > limits_.max_buffered_bytes) {
    Refuse(413, "Content Too Large", "Too much data was sent ahead of the answers.");
    return;
  }
  buffer_.append(bytes);
}

Result RequestFramer::Refuse(int status, std::string title, std::string detail) {
  if (!refused_) refused_ = FramingRefusal{status, std::move(title), std::move(detail)};
  buffer_.clear();
  buffer_.shrink_to_fit();
  Result result;
  result.kind = Result::Kind::kRefused;
  result.refusal = *refused_;
  return result;
}

Result RequestFramer::Next() {
  if (refused_) return Refuse(refused_->status, refused_->title, refused_->detail);
  if (phase_ == Phase::kHead) {
    // A client may send blank lines between requests (RFC 9112 section 2.2).
    std::size_t blank = 0;
    while (buffer_.compare(blank, 2, "\r\n") == 0) blank += 2;
    if (blank > 0) {
      buffer_.erase(0, blank);
      scanned_ = 0;
    }
    const auto head_end = buffer_.find("\r\n\r\n", scanned_ >= 3 ? scanned_ - 3 : 0);
    if (head_end == std::string::npos) {
      scanned_ = buffer_.size();
      if (buffer_.size() > limits_.max_head_bytes) {
        return Refuse(431, "Request Header Fields Too Large", "The request line and headers must be at most 32 KiB.");
      }
      return {};
    }
    if (head_end + 4 > limits_.max_head_bytes) {
      return Refuse(431, "Request Header Fields Too Large", "The request line and headers must be at most 32 KiB.");
    }
    if (auto refusal = ParseHead(head_end)) return *refusal;
  }

  bool complete = false;
  switch (phase_) {
    case Phase::kHead:
      complete = true;  // no body
      break;
    case Phase::kLengthBody:
      if (buffer_.size() - position_ >= remaining_) {
        position_ += static_cast<std::size_t>(remaining_);
        complete = true;
      }
      break;
    default:
      if (auto refusal = StepChunked(complete)) return *refusal;
      break;
  }
  if (!complete) return {};

  Result result;
  result.kind = Result::Kind::kRequest;
  const std::size_t end = position_;
  result.request = buffer_.substr(0, end);
  buffer_.erase(0, end);
  phase_ = Phase::kHead;
  scanned_ = 0;
  position_ = 0;
  remaining_ = 0;
  return result;
}

std::optional<Result> RequestFramer::ParseHead(std::size_t head_end) {
  const std::string_view head(buffer_.data(), head_end);
  const auto line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);

  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return Refuse(400, "Bad Request", "The request line must be: method, a space, the path, a space, HTTP/1.1.");
  }
  const auto method = request_line.substr(0, first_space);
  const auto target = request_line.substr(first_space + 1, last_space - first_space - 1);
  const auto version = request_line.substr(last_space + 1);
  if (!IsToken(method) || method.size() > 16) return Refuse(400, "Bad Request", "The request method is not valid.");
  if (target.empty() || !IsVisibleAscii(target) || (target.front() != '/' && target != "*")) {
    return Refuse(400, "Bad Request", "The request target must be a path of visible ASCII characters.");
  }
  const bool http10 = version == "HTTP/1.0";
  if (!http10 && version != "HTTP/1.1") {
    if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
        std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
        std::isdigit(static_cast<unsigned char>(version[7]))) {
      return Refuse(505, "HTTP Version Not Supported", "Only HTTP/1.1 and HTTP/1.0 are supported.");
    }
    return Refuse(400, "Bad Request", "The HTTP version is not valid.");
  }

  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  std::size_t fields = 0;
  std::size_t position = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    auto end = head.find("\r\n", position);
    if (end == std::string_view::npos) end = head.size();
    const auto line = head.substr(position, end - position);
    position = end + 2;
    if (++fields > limits_.max_header_fields) {
      return Refuse(431, "Request Header Fields Too Large", "At most 100 header fields are accepted.");
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      return Refuse(400, "Bad Request", "A header line is not valid.");
    }
    const auto name = line.substr(0, colon);
    const auto value = Trim(line.substr(colon + 1));
    if (!IsFieldValue(value)) return Refuse(400, "Bad Request", "A header value holds a control character.");
    if (EqualsIgnoringCase(name, "Content-Length")) {
      if (!AllDigits(value)) return Refuse(400, "Bad Request", "Content-Length must be a non-negative decimal number.");
      if (value.size() > 9) return Refuse(413, "Content Too Large", "The request is too large.");
      const std::uint64_t length = std::stoull(std::string(value));
      if (content_length && *content_length != length) {
        return Refuse(400, "Bad Request", "The request has conflicting Content-Length headers.");
      }
      content_length = length;
    } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      if (chunked) return Refuse(400, "Bad Request", "Transfer-Encoding may be given once.");
      if (!EqualsIgnoringCase(value, "chunked")) {
        return Refuse(501, "Not Implemented", "Only Transfer-Encoding: chunked is supported.");
      }
      chunked = true;
    }
  }
  if (chunked && content_length) {
    return Refuse(400, "Bad Request", "Content-Length and Transfer-Encoding may not be sent together.");
  }
  if (chunked && http10) return Refuse(400, "Bad Request", "HTTP/1.0 has no chunked transfer coding.");

  position_ = head_end + 4;
  if (content_length && *content_length > 0) {
    if (position_ + *content_length > limits_.max_request_bytes) {
      return Refuse(413, "Content Too Large", "The request is too large.");
    }
    phase_ = Phase::kLengthBody;
    remaining_ = *content_length;
  } else if (chunked) {
    phase_ = Phase::kChunkSize;
  }
  return std::nullopt;
}

std::optional<Result> RequestFramer::StepChunked(bool& complete) {
  while (true) {
    if (position_ > limits_.max_request_bytes) return Refuse(413, "Content Too Large", "The request is too large.");
    switch (phase_) {
      case Phase::kChunkSize: {
        const auto end = buffer_.find("\r\n", position_);
        if (end == std::string::npos) {
          if (buffer_.size() - position_ > 10) return Refuse(400, "Bad Request", "A chunk size is not valid.");
          return std::nullopt;
        }
        const std::string_view digits(buffer_.data() + position_, end - position_);
        if (digits.empty() || digits.size() > 8 || !std::all_of(digits.begin(), digits.end(), [](char c) {
              return std::isxdigit(static_cast<unsigned char>(c));
            })) {
          return Refuse(400, "Bad Request", "A chunk size is not valid.");
        }
        remaining_ = std::stoull(std::string(digits), nullptr, 16);
        position_ = end + 2;
        if (remaining_ == 0) {
          phase_ = Phase::kLastChunkEnd;
        } else {
          if (position_ + remaining_ > limits_.max_request_bytes) {
            return Refuse(413, "Content Too Large", "The request is too large.");
          }
          phase_ = Phase::kChunkData;
        }
        break;
      }
      case Phase::kChunkData: {
        const std::uint64_t available = buffer_.size() - position_;
        const auto take = static_cast<std::size_t>(std::min(available, remaining_));
        position_ += take;
        remaining_ -= take;
        if (remaining_ > 0) return std::nullopt;
        phase_ = Phase::kChunkDataEnd;
        break;
      }
      case Phase::kChunkDataEnd:
      case Phase::kLastChunkEnd: {
        if (buffer_.size() - position_ < 2) return std::nullopt;
        if (buffer_.compare(position_, 2, "\r\n") != 0) {
          return Refuse(400, "Bad Request",
                        phase_ == Phase::kLastChunkEnd ? "Chunked trailers are not accepted."
                                                       : "A chunk is longer than its declared size.");
        }
        position_ += 2;
        if (phase_ == Phase::kLastChunkEnd) {
          complete = true;
          return std::nullopt;
        }
        phase_ = Phase::kChunkSize;
        break;
      }
      default:
        return std::nullopt;
    }
  }
}

}  // namespace orders::command

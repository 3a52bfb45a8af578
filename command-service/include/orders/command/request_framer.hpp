#pragma once
// Splits the bytes of one HTTP/1.1 connection into whole requests before
// Pistache 0.0.5 sees them, and refuses what that parser mishandles
// (tests/integration/hostile sends each of these):
//   - `Content-Length: -1` or 20 digits: Pistache reserves the declared size
//     and answers a 500 with the exception text ("std::bad_alloc", "stoull");
//   - two different Content-Length headers: Pistache takes one of them;
//   - a bad chunk size: Pistache answers 400 with its own error text and keeps
//     reading the connection from an unknown position;
//   - two requests in one read: Pistache drops the second.
// The framer accepts a strict subset of RFC 9112 request framing: request
// line `METHOD SP origin-form SP HTTP/1.0|1.1`, header lines `name: value`
// without control characters, at most one Content-Length value (digits only)
// or `Transfer-Encoding: chunked` (never both), chunk sizes in hex without
// extensions, no trailers. Anything else is refused with a status and a
// fixed, client-safe detail; after a refusal the connection must be closed
// because the position in the byte stream is no longer known.
//
// Pure and single-threaded: one framer per connection.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orders::command {

struct FramerLimits {
  std::size_t max_head_bytes = 32 * 1024;       // request line + headers; more: 431
  std::size_t max_header_fields = 100;          // more: 431
  std::size_t max_request_bytes = 256 * 1024;   // head + body as sent; more: 413
  std::size_t max_buffered_bytes = 512 * 1024;  // pipelined bytes waiting; more: 413
};

struct FramingRefusal {
  int status = 400;
  std::string title;
  std::string detail;  // fixed text, safe to send
};

class RequestFramer {
 public:
  explicit RequestFramer(FramerLimits limits = {}) : limits_(limits) {}

  struct Result {
    enum class Kind { kNeedMore, kRequest, kRefused };
    Kind kind = Kind::kNeedMore;
    std::string request;     // kRequest: the request's bytes exactly as sent
    FramingRefusal refusal;  // kRefused
  };

  // Buffers received bytes. Call Next() until it returns kNeedMore.
  void Append(std::string_view bytes);

  // The next whole request, a refusal, or kNeedMore. After a refusal every
  // later call returns the same refusal.
  Result Next();

  std::size_t buffered() const { return buffer_.size(); }

 private:
  enum class Phase { kHead, kLengthBody, kChunkSize, kChunkData, kChunkDataEnd, kLastChunkEnd };

  Result Refuse(int status, std::string title, std::string detail);
  // Validates the head buffer_[0, head_end); sets the body phase. Empty
  // result on success.
  std::optional<Result> ParseHead(std::size_t head_end);
  std::optional<Result> StepChunked(bool& complete);

  FramerLimits limits_;
  std::string buffer_;
  std::optional<FramingRefusal> refused_;

  // Progress within the first buffered request.
  Phase phase_ = Phase::kHead;
  std::size_t scanned_ = 0;      // kHead: bytes already searched for the blank line
  std::size_t position_ = 0;     // body phases: next unparsed byte
  std::uint64_t remaining_ = 0;  // kLengthBody / kChunkData: bytes still expected
};

}  // namespace orders::command

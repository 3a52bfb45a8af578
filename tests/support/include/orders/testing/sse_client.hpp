#pragma once
// A small blocking text/event-stream client for tests (what `curl -N` does),
// over a raw socket so a test can also stop reading, and the reader side of
// the format (SseReader) for unit tests of the notifier's framing.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orders::testing {

struct SseEvent {
  std::string id;       // the id field of this event, empty when it had none
  std::string event;    // "message" when the event field was missing
  std::string data;     // data lines joined with '\n'
  std::string comment;  // for a block of comment lines only (": hb")
  std::optional<long> retry;
  bool has_id = false;
  nlohmann::json Json() const { return nlohmann::json::parse(data, nullptr, false); }
};

// Splits a byte stream into events as the WHATWG parser does (LF, CR or CRLF
// line ends; "field: value" with one optional space; blocks end at a blank
// line). Blocks with only comments or retry come back as their own entries.
class SseReader {
 public:
  void Feed(std::string_view bytes);
  std::optional<SseEvent> Next();

 private:
  void Line(std::string_view line);
  std::string buffer_;
  SseEvent current_;
  bool any_field_ = false;
  bool has_data_ = false;
  std::deque<SseEvent> ready_;
};

class SseClient {
 public:
  ~SseClient();

  // Kernel receive buffer for the next Open (small: a reader that stops falls behind at once).
  void SetReceiveBuffer(int bytes) { receive_buffer_ = bytes; }

  // Sends GET `path` and reads the answer's head; returns its status (0: no answer).
  int Open(std::uint16_t port, const std::string& path, const std::map<std::string, std::string>& headers = {});
  const std::map<std::string, std::string>& headers() const { return headers_; }  // lower-case names
  // A non-200 answer's body (read to its Content-Length).
  const std::string& body() const { return body_; }

  // The next event (comments included), or nullopt on timeout or end of stream.
  std::optional<SseEvent> Next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next event that is not a comment or a retry hint.
  std::optional<SseEvent> NextEvent(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits until the server ends the stream; true when it did within `timeout`.
  bool WaitForEnd(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool ended() const { return ended_; }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  int receive_buffer_ = 0;
  std::map<std::string, std::string> headers_;
  std::string body_;
  SseReader reader_;
  bool ended_ = false;
};

}  // namespace orders::testing

#pragma once
// The sessions' shared sending machinery on the notifier's io thread.
//
// Fan-out sends one message to many sessions inside one handler (a batch of
// events). The batcher (1) encodes a text frame once and hands every session
// the same immutable buffer, and (2) collects the sessions that queued
// something and flushes each once, after the handler, so every frame a
// session got in that handler leaves in one writev. Single-threaded: all
// calls come from the io thread that runs the hub and the sessions.
//
// It also holds the sessions' scratch memory: one read buffer and one writev
// list for all of them. A session reads only inside its own handler and hands
// the bytes on before returning, so a buffer per connection (16 KiB each,
// most of an idle connection's cost) bought nothing.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>
#include <orders/notifier/outbox.hpp>

namespace orders::notifier {

class Flushable {
 public:
  virtual ~Flushable() = default;
  virtual void Flush() = 0;
};

class SendBatcher {
 public:
  explicit SendBatcher(asio::io_context& io) : io_(io) {}

  // The text frame for `text`; the same buffer for the same text sent in a row.
  SharedFrame TextFrame(const std::string& text);

  // Calls session->Flush() once after the current handler.
  void FlushLater(std::shared_ptr<Flushable> session);

  // Shared scratch (see above): valid until the calling handler returns.
  asio::mutable_buffer ReadBuffer() { return asio::buffer(read_buffer_); }
  std::vector<asio::const_buffer>& WriteList() { return write_list_; }

 private:
  asio::io_context& io_;
  std::array<char, 16384> read_buffer_{};
  std::vector<asio::const_buffer> write_list_;
  std::string last_text_;
  SharedFrame last_frame_;
  std::vector<std::shared_ptr<Flushable>> pending_;
  std::vector<std::shared_ptr<Flushable>> flushing_;  // pending_ being flushed; empty between flushes
  bool posted_ = false;
};

}  // namespace orders::notifier

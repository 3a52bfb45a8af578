#pragma once
// The stream socket RESTinio's connections use (HttpServer's traits): a TCP
// socket whose incoming bytes pass through a MethodRewriter, so that a
// request with a method http_parser does not know reaches the router (and
// gets 501) instead of closing the connection unanswered. Writes go straight
// to the socket. It offers what RESTinio 0.6.16 asks of a stream socket (the
// same members as its own TLS socket wrapper).
//
// Threading: RESTinio has at most one read outstanding per connection and
// calls from the connection's executor; the rewriter state is touched only
// in async_read_some and its completion, which run there. The connection
// object owns this socket and outlives every read it started.

#include <memory>
#include <string>
#include <utility>

#include <orders/platform/restinio/method_rewriter.hpp>
#include <restinio/all.hpp>

namespace orders::platform::http {

class MethodGuardSocket {
 public:
  using socket_type = asio::ip::tcp::socket;
  using executor_type = socket_type::executor_type;
  using lowest_layer_type = socket_type::lowest_layer_type;

  explicit MethodGuardSocket(asio::io_context& io_context) : socket_(io_context) {}
  // RESTinio's acceptor moves each accepted socket out of its pool and accepts
  // the next connection into the moved-from one, so that must stay usable
  // (as asio's sockets do): its rewriter state is made on its first read.
  MethodGuardSocket(MethodGuardSocket&& other)
      : socket_(std::move(other.socket_)), state_(std::exchange(other.state_, nullptr)) {}
  MethodGuardSocket& operator=(MethodGuardSocket&& other) {
    socket_ = std::move(other.socket_);
    state_ = std::exchange(other.state_, nullptr);
    return *this;
  }

  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return socket_.lowest_layer(); }
  executor_type get_executor() { return socket_.get_executor(); }
  auto remote_endpoint() const { return socket_.remote_endpoint(); }
  bool is_open() const { return socket_.is_open(); }

  template <typename... Args>
  auto cancel(Args&&... args) {
    return socket_.cancel(std::forward<Args>(args)...);
  }
  template <typename... Args>
  auto shutdown(Args&&... args) {
    return socket_.shutdown(std::forward<Args>(args)...);
  }
  template <typename... Args>
  auto close(Args&&... args) {
    return socket_.close(std::forward<Args>(args)...);
  }
  template <typename... Args>
  auto async_write_some(Args&&... args) {
    return socket_.async_write_some(std::forward<Args>(args)...);
  }

  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    auto executor = asio::get_associated_executor(handler, socket_.get_executor());
    if (!state_) state_ = std::make_shared<State>();
    if (!state_->pending.empty()) {
      const std::size_t copied = TakePending(buffers);
      asio::post(executor,
                 [handler = std::forward<Handler>(handler), copied]() mutable { handler(asio::error_code{}, copied); });
      return;
    }
    socket_.async_read_some(
        asio::buffer(state_->raw),
        asio::bind_executor(executor, [this, state = state_, buffers, handler = std::forward<Handler>(handler)](
                                          const asio::error_code& error, std::size_t length) mutable {
          if (length > 0) state->pending += state->rewriter.Feed(std::string_view(state->raw, length));
          if (state->pending.empty() && !error) {
            // Only a method token's first bytes came: read on.
            async_read_some(buffers, std::move(handler));
            return;
          }
          const std::size_t copied = TakePending(buffers);
          handler(copied > 0 ? asio::error_code{} : error, copied);
        }));
  }

  // The TCP socket, for a protocol upgrade. The rewriter is done with it and
  // its buffers go now (RESTinio keeps this object as long as the upgraded
  // connection lives).
  socket_type Release() && {
    state_.reset();
    return std::move(socket_);
  }

 private:
  struct State {
    MethodRewriter rewriter;
    std::string pending;  // rewritten bytes RESTinio has not taken yet
    char raw[4096];       // RESTinio's own read buffer is 4 KiB by default
  };

  template <typename MutableBuffers>
  std::size_t TakePending(const MutableBuffers& buffers) {
    const std::size_t copied = asio::buffer_copy(buffers, asio::buffer(state_->pending));
    state_->pending.erase(0, copied);
    return copied;
  }

  socket_type socket_;
  std::shared_ptr<State> state_;
};

// What RESTinio calls (found by argument-dependent lookup) before the first
// read and for its connection-state listener: nothing to prepare, no TLS.
template <typename Connection, typename StartRead, typename Failed>
void prepare_connection_and_start_read(MethodGuardSocket&, Connection&, StartRead start_read, Failed) {
  start_read();
}

inline restinio::impl::tls_socket_t* make_tls_socket_pointer_for_state_listener(MethodGuardSocket&) noexcept {
  return nullptr;
}

}  // namespace orders::platform::http

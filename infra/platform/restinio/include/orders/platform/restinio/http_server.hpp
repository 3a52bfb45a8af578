#pragma once
// An HTTP server on its own asio thread pool. Start() binds (port 0 picks a
// free port) and returns the real port, so a service can log
// {"msg":"listening","port":N} only once it accepts connections. Limits are
// always on: RESTinio 0.6 has no HTTP message or connection limits by
// default (docs/library-notes.md).
//
// Stop() closes the listening socket, lets in-flight handlers run for up to
// `drain` and then stops the threads. Handlers may post work and timers to
// io_context() (e.g. for asynchronous waits).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <orders/platform/restinio/router.hpp>
#include <orders/platform/result.hpp>

namespace orders::platform::http {

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t threads = 2;
  std::size_t max_connections = 1024;
  std::size_t max_pipelined_requests = 16;  // answered in order, per connection
  MessageLimits limits;                     // answered with 414/431/413 (router.hpp)
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds handle_timeout{15};
  // How long one write to a client may take before its connection is closed:
  // a client that stops reading cannot pin a response (and what it holds).
  std::chrono::milliseconds write_timeout{5000};
};

// A TCP connection taken from RESTinio for a protocol upgrade. `keep_alive`
// holds RESTinio's bookkeeping for it (it still counts towards the
// connection limit until released).
struct TakenConnection {
  asio::ip::tcp::socket socket;
  std::shared_ptr<void> keep_alive;
};

class HttpServer {
 public:
  // Takes the request's TCP connection away from RESTinio (which then neither
  // reads nor answers on it); nullopt when it was already taken.
  static std::optional<TakenConnection> TakeConnection(Exchange& exchange, int status = 101);

  HttpServer(HttpServerOptions options, std::shared_ptr<const Router> router);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the threads; the bound port, or why binding failed.
  Result<std::uint16_t> Start();
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(200));

  asio::io_context& io_context() { return io_context_; }

 private:
  struct Traits;
  class Impl;

  HttpServerOptions options_;
  std::shared_ptr<const Router> router_;
  asio::io_context io_context_;
  std::unique_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace orders::platform::http

#pragma once
// A Pistache endpoint serving a Router. Start() binds (port 0 picks a free
// port) and returns the real port. Limits and timeouts are always on. One
// reactor thread: Pistache 0.0.5's router is not safe with more.
//
// `front` builds the connection handler in front of the router (for example
// one that frames requests itself) and the queue answers go through; without
// it, Pistache's own router handler is used and answers go out at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <pistache/endpoint.h>

#include <orders/platform/pistache/router.hpp>
#include <orders/platform/result.hpp>

namespace orders::platform::pistache_http {

struct FrontHandler {
  std::function<std::shared_ptr<Pistache::Http::Handler>(const Pistache::Rest::Router&)> make;
  AnswerQueue queue;
};

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t max_request_bytes = 256 * 1024;  // Pistache answers larger requests itself (413)
  std::chrono::seconds header_timeout{5};
  std::chrono::seconds body_timeout{10};
  std::chrono::seconds keepalive_timeout{30};
  FrontHandler front;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, std::shared_ptr<Router> router);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port, or why binding failed.
  Result<std::uint16_t> Start();
  void Stop();

 private:
  HttpServerOptions options_;
  std::shared_ptr<Router> router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

}  // namespace orders::platform::pistache_http

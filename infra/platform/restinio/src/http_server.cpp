#include <orders/platform/restinio/http_server.hpp>

#include <future>

#include <orders/platform/log.hpp>

#include "method_guard_socket.hpp"

namespace orders::platform::http {

// Connections read through the MethodGuardSocket (method_guard_socket.hpp),
// so unknown methods get a 501 instead of a closed connection.
struct HttpServer::Traits : public restinio::traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t,
                                                      restinio::details::autodetect_request_handler_type,
                                                      restinio::default_strand_t, MethodGuardSocket> {
  static constexpr bool use_connection_count_limiter = true;
};

class HttpServer::Impl {
 public:
  using Server = restinio::http_server_t<Traits>;

  Impl(asio::io_context& io_context, const HttpServerOptions& options, std::shared_ptr<const Router> router)
      : server_(restinio::external_io_context(io_context), [&](auto& settings) {
          settings.port(options.port)
              .address(options.bind_address)
              .max_parallel_connections(options.max_connections)
              // RESTinio's default (1) answered the first of three pipelined
              // requests and then closed the connection (tests/integration/hostile).
              .max_pipelined_requests(options.max_pipelined_requests)
              .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                            .max_url_size(options.limits.url * MessageLimits::kParserRoom)
                                            .max_field_name_size(options.limits.field * MessageLimits::kParserRoom)
                                            .max_field_value_size(options.limits.field * MessageLimits::kParserRoom)
                                            .max_field_count(options.limits.field_count * MessageLimits::kParserRoom)
                                            .max_body_size(options.limits.body * MessageLimits::kParserRoom))
              .read_next_http_message_timelimit(options.read_timeout)
              .handle_request_timeout(options.handle_timeout)
              .write_http_response_timelimit(options.write_timeout)
              .acceptor_post_bind_hook([this](asio::ip::tcp::acceptor& acceptor) {
                port_ = acceptor.local_endpoint().port();
                // Low push latency: no Nagle on accepted sockets is set per
                // connection by the options below; the acceptor needs nothing.
              })
              .socket_options_setter(
                  [](auto& options_setter) { options_setter.set_option(asio::ip::tcp::no_delay{true}); })
              .request_handler(
                  [router = std::move(router), limits = options.limits](restinio::request_handle_t request) {
                    return router->Dispatch(std::move(request), limits);
                  });
        }) {}

  Server server_;
  std::uint16_t port_ = 0;
};

std::optional<TakenConnection> HttpServer::TakeConnection(Exchange& exchange, int status) {
  auto request = exchange.TakeForUpgrade(status);
  auto connection = std::move(restinio::impl::access_req_connection(*request));
  if (!connection) return std::nullopt;
  auto& typed = dynamic_cast<restinio::impl::connection_t<Traits>&>(*connection);
  auto internals = std::make_shared<typename restinio::impl::connection_t<Traits>::upgrade_internals_t>(
      typed.move_upgrade_internals());
  asio::ip::tcp::socket socket = std::move(internals->m_socket).Release();
  return TakenConnection{std::move(socket), std::move(internals)};
}

HttpServer::HttpServer(HttpServerOptions options, std::shared_ptr<const Router> router)
    : options_(std::move(options)), router_(std::move(router)) {}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

Result<std::uint16_t> HttpServer::Start() {
  try {
    impl_ = std::make_unique<Impl>(io_context_, options_, router_);
    impl_->server_.open_sync();
  } catch (const std::exception& e) {
    impl_.reset();
    return Fail("cannot listen on " + options_.bind_address + ":" + std::to_string(options_.port) + ": " + e.what());
  }
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.threads); ++i) {
    threads_.emplace_back([this] {
      while (true) {
        try {
          io_context_.run();
          return;
        } catch (const std::exception& e) {
          LogError("http thread caught an exception", {{"error", e.what()}});
        }
      }
    });
  }
  return impl_->port_;
}

void HttpServer::Stop(std::chrono::milliseconds drain) {
  if (stopped_ || !impl_) return;
  stopped_ = true;
  std::promise<void> closed;
  auto done = closed.get_future();
  impl_->server_.close_async([&closed] { closed.set_value(); }, [&closed](std::exception_ptr) { closed.set_value(); });
  done.wait_for(std::chrono::seconds(5));
  if (drain.count() > 0) std::this_thread::sleep_for(drain);
  io_context_.stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  impl_.reset();
}

}  // namespace orders::platform::http

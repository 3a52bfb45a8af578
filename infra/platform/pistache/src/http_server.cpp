#include <orders/platform/pistache/http_server.hpp>

namespace orders::platform::pistache_http {

using namespace Pistache;

HttpServer::HttpServer(HttpServerOptions options, std::shared_ptr<Router> router)
    : options_(std::move(options)), router_(std::move(router)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::uint16_t> HttpServer::Start() {
  try {
    endpoint_ = std::make_unique<Http::Endpoint>(Address(options_.bind_address, Port(options_.port)));
    endpoint_->init(Http::Endpoint::options()
                        .threads(1)
                        .maxRequestSize(options_.max_request_bytes)
                        .headerTimeout(options_.header_timeout)
                        .bodyTimeout(options_.body_timeout)
                        .keepaliveTimeout(options_.keepalive_timeout)
                        .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay));
    router_->SetAnswerQueue(options_.front.queue);
    endpoint_->setHandler(options_.front.make ? options_.front.make(router_->routes()) : router_->routes().handler());
    endpoint_->serveThreaded();
    return static_cast<std::uint16_t>(endpoint_->getPort());
  } catch (const std::exception& e) {
    endpoint_.reset();
    return Fail("cannot listen on " + options_.bind_address + ":" + std::to_string(options_.port) + ": " + e.what());
  }
}

void HttpServer::Stop() {
  if (endpoint_) endpoint_->shutdown();
  endpoint_.reset();
}

}  // namespace orders::platform::pistache_http

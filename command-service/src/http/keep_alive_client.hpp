#pragma once
// HTTP/1.1 requests over connections kept open between them, one per peer
// (host and port): a forwarded command costs one round trip instead of a TCP
// connect, accept and close. A kept connection is used again only while the
// peer would still keep it (idle less than kMaxIdle, well under the services'
// 30 s keep-alive timeout) and nothing arrived on it while idle (a close, or
// bytes no request asked for). A request that fails is not sent again: the
// peer may have acted on it, and the caller decides what to answer. Blocking;
// not thread-safe: each forwarder thread owns one.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include <orders/platform/owned_fd.hpp>

#include "http_client.hpp"

namespace orders::command {

class KeepAliveClient {
 public:
  static constexpr std::chrono::seconds kMaxIdle{10};

  platform::Result<HttpClientAnswer> Send(const HttpUrl& url, const std::string& method, const std::string& target,
                                          const HeaderList& headers, const std::string& body,
                                          std::chrono::milliseconds timeout);

  std::size_t OpenConnections() const { return kept_.size(); }

 private:
  struct Kept {
    std::unique_ptr<platform::OwnedFd> socket;
    std::chrono::steady_clock::time_point idle_since;
  };
  std::unordered_map<std::string, Kept> kept_;  // by host:port
};

}  // namespace orders::command

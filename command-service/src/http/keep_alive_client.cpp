#include "keep_alive_client.hpp"

#include <poll.h>

namespace orders::command {
namespace {

using Clock = std::chrono::steady_clock;

// An idle connection the peer closed (or wrote to unasked) is readable.
bool StillQuiet(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 0) == 0;
}

}  // namespace

platform::Result<HttpClientAnswer> KeepAliveClient::Send(const HttpUrl& url, const std::string& method,
                                                         const std::string& target, const HeaderList& headers,
                                                         const std::string& body, std::chrono::milliseconds timeout) {
  const auto now = Clock::now();
  const auto deadline = now + timeout;
  const std::string peer = url.host + ":" + url.port;
  auto kept = kept_.find(peer);
  if (kept != kept_.end() && (now - kept->second.idle_since >= kMaxIdle || !StillQuiet(kept->second.socket->fd()))) {
    kept_.erase(kept);
    kept = kept_.end();
  }
  if (kept == kept_.end()) {
    auto connected = Connect(url, deadline);
    if (!connected) return connected.error();
    kept = kept_.emplace(peer, Kept{std::make_unique<platform::OwnedFd>(*connected), now}).first;
  }
  auto exchanged = Exchange(kept->second.socket->fd(), url, method, target, headers, body, deadline, true);
  if (!exchanged || !exchanged->reusable) {
    kept_.erase(kept);  // a failed or closing exchange leaves the connection in an unknown state
  } else {
    kept->second.idle_since = Clock::now();
  }
  if (!exchanged) return exchanged.error();
  return std::move(exchanged->answer);
}

}  // namespace orders::command

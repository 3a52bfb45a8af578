#include <orders/platform/jwks_source.hpp>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <orders/platform/http_url.hpp>
#include <orders/platform/owned_fd.hpp>

namespace orders::platform {
namespace {

constexpr std::size_t kMaxResponseBytes = 1 << 20;

using Socket = OwnedFd;

bool WaitFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd entry{fd, events, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) == 1;
}

// A connected socket, or why not; connecting gives up after `timeout`.
Result<int> Connect(const HttpUrl& url, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(url.host.c_str(), url.PortText().c_str(), &hints, &found) != 0 || !found) {
    return Error{"cannot resolve " + url.host};
  }
  std::string why = "cannot connect to " + url.host + ":" + url.PortText();
  int connected = -1;
  for (addrinfo* address = found; address && connected < 0; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int error = 0;
    socklen_t length = sizeof error;
    if (::connect(fd, address->ai_addr, address->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && WaitFor(fd, POLLOUT, timeout) &&
         ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0)) {
      connected = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (connected < 0) return Error{why};
  return connected;
}

class HttpSource final : public JwksSource {
 public:
  HttpSource(std::string url, std::chrono::milliseconds timeout) : url_(std::move(url)), timeout_(timeout) {}

  Result<std::string> Fetch() override {
    // This client speaks plain http only.
    const auto url = ParseHttpUrl(url_);
    if (!url || url->https()) return Error{"not an http:// URL"};
    auto connected = Connect(*url, timeout_);
    if (!connected) return connected.error();
    Socket socket(*connected);
    // HTTP/1.0: the server ends the body by closing, never with chunks.
    const std::string request = "GET " + url->Target() + " HTTP/1.0\r\nHost: " + url->HostHeader() +
                                "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
      if (!WaitFor(socket.fd(), POLLOUT, timeout_)) return Error{"timed out sending to " + url_};
      const auto n = ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return Error{"cannot send to " + url_};
      sent += static_cast<std::size_t>(n);
    }
    std::string response;
    char buffer[8192];
    while (true) {
      if (!WaitFor(socket.fd(), POLLIN, timeout_)) return Error{"timed out reading " + url_};
      const auto n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
      if (n < 0) return Error{"cannot read " + url_};
      if (n == 0) break;
      response.append(buffer, static_cast<std::size_t>(n));
      if (response.size() > kMaxResponseBytes) return Error{url_ + " answered more than 1 MiB"};
    }
    return Body(response);
  }

  std::string Describe() const override { return url_; }

 private:
  Result<std::string> Body(const std::string& response) const {
    const auto status_end = response.find("\r\n");
    const auto headers_end = response.find("\r\n\r\n");
    if (status_end == std::string::npos || headers_end == std::string::npos) {
      return Error{url_ + " did not answer HTTP"};
    }
    const std::string status_line = response.substr(0, status_end);
    const auto space = status_line.find(' ');
    if (status_line.rfind("HTTP/1.", 0) != 0 || space == std::string::npos ||
        status_line.compare(space + 1, 3, "200") != 0) {
      return Error{url_ + " answered '" + status_line.substr(0, 64) + "'"};
    }
    return response.substr(headers_end + 4);
  }

  std::string url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<JwksSource> HttpJwksSource(std::string url, std::chrono::milliseconds timeout) {
  return std::make_unique<HttpSource>(std::move(url), timeout);
}

}  // namespace orders::platform

#include <orders/testing/document_server.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace orders::testing {

DocumentServer::DocumentServer() = default;

DocumentServer::~DocumentServer() { Stop(); }

bool DocumentServer::Start() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port_);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return false;
  }
  port_ = ntohs(address.sin_port);
  listener_ = fd;
  thread_ = std::thread([this, fd] { Serve(fd); });
  return true;
}

void DocumentServer::Stop() {
  const int fd = listener_.exchange(-1);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  if (fd >= 0) ::close(fd);
}

void DocumentServer::SetDocument(std::string document) {
  std::lock_guard lock(mutex_);
  document_ = std::move(document);
}

std::string DocumentServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void DocumentServer::Serve(int listener) {
  while (listener_.load() == listener) {
    pollfd entry{listener, POLLIN, 0};
    if (::poll(&entry, 1, 100) != 1) continue;
    const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      pollfd readable{client, POLLIN, 0};
      if (::poll(&readable, 1, 2000) != 1) break;
      const auto n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<std::size_t>(n));
    }
    ++requests_;
    std::string body;
    {
      std::lock_guard lock(mutex_);
      body = document_;
    }
    const std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
    ::close(client);
  }
}

}  // namespace orders::testing

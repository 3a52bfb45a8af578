#pragma once
// A blocking keep-alive HTTP/1.1 client on one connection, for load tools
// whose clients each wait for their answer (one per thread): the connection
// is opened once and reopened only when the server closed it, so a request's
// latency is the server's, not a TCP handshake's. Answers must be framed by
// Content-Length (the services' are).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace orders::bench {

class KeepAliveHttp {
 public:
  struct Answer {
    int status = 0;  // 0: no answer (connection failed or closed, or timed out)
    std::string body;
  };

  KeepAliveHttp(std::uint16_t port, std::string token) : port_(port), token_(std::move(token)) {}
  ~KeepAliveHttp() { Close(); }
  KeepAliveHttp(const KeepAliveHttp&) = delete;
  KeepAliveHttp& operator=(const KeepAliveHttp&) = delete;

  Answer Send(const std::string& method, const std::string& path, const std::string& body = {},
              int timeout_ms = 10000) {
    return SendWithHeaders(method, path, body, {}, timeout_ms);
  }

  Answer SendWithHeaders(const std::string& method, const std::string& path, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms = 10000) {
    std::string extra;
    for (const auto& [name, value] : headers) extra += name + ": " + value + "\r\n";
    const std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                (token_.empty() ? "" : "Authorization: Bearer " + token_ + "\r\n") + extra +
                                "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\n\r\n" + body;
    for (int attempt = 0; attempt < 2; ++attempt) {  // a kept-alive connection the server closed: once more
      if (fd_ < 0 && !Open()) return {};
      if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        Answer answer = Read(timeout_ms);
        if (answer.status != 0) return answer;
      }
      Close();
    }
    return {};
  }

 private:
  bool Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      Close();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buffer_.clear();
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool Fill(int timeout_ms) {
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, timeout_ms) <= 0) return false;
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  Answer Read(int timeout_ms) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(timeout_ms)) return {};
    }
    Answer answer;
    if (buffer_.size() < 12 || buffer_.compare(0, 5, "HTTP/") != 0) return {};
    answer.status = std::atoi(buffer_.c_str() + 9);
    std::size_t length = 0;
    for (std::size_t line = buffer_.find("\r\n") + 2; line < end;) {
      const auto next = buffer_.find("\r\n", line);
      std::string header = buffer_.substr(line, next - line);
      for (auto& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (header.rfind("content-length:", 0) == 0) length = std::strtoul(header.c_str() + 15, nullptr, 10);
      line = next + 2;
    }
    while (buffer_.size() < end + 4 + length) {
      if (!Fill(timeout_ms)) return {};
    }
    answer.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return answer;
  }

  std::uint16_t port_;
  std::string token_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace orders::bench

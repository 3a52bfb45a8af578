#include "http_client.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>

#include <orders/platform/http_url.hpp>
#include <orders/platform/owned_fd.hpp>

namespace orders::command {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

using Socket = platform::OwnedFd;

// Waits for `events` until `deadline`; false when the deadline passed first.
bool WaitUntil(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, 60'000)));
    if (ready == 1) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// The header fields of a response head (after the status line), names lower-cased.
HeaderList HeadersOf(const std::string& head) {
  HeaderList headers;
  std::size_t start = head.find("\r\n");
  while (start != std::string::npos && start + 2 < head.size()) {
    const auto end = head.find("\r\n", start + 2);
    const std::string line = head.substr(start + 2, (end == std::string::npos ? head.size() : end) - start - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      headers.emplace_back(Lower(line.substr(0, colon)), std::move(value));
    }
    start = end;
  }
  return headers;
}

// Where the body ends, once the headers are in: Content-Length, chunked, or the close.
struct Framing {
  std::optional<std::size_t> content_length;
  bool chunked = false;
};

Framing FramingOf(const std::string& head) {
  Framing framing;
  for (const auto& [name, value] : HeadersOf(head)) {
    if (name == "content-length") {
      std::size_t length = 0;
      if (std::from_chars(value.data(), value.data() + value.size(), length).ec == std::errc()) {
        framing.content_length = length;
      }
    } else if (name == "transfer-encoding" && Lower(value).find("chunked") != std::string::npos) {
      framing.chunked = true;
    }
  }
  return framing;
}

// The body of a complete chunked message, or nullopt while incomplete or malformed.
std::optional<std::string> Dechunk(const std::string& raw, bool& malformed) {
  std::string body;
  std::size_t at = 0;
  while (true) {
    const auto line_end = raw.find("\r\n", at);
    if (line_end == std::string::npos) return std::nullopt;
    std::size_t size = 0;
    auto [ptr, ec] = std::from_chars(raw.data() + at, raw.data() + line_end, size, 16);
    if (ec != std::errc() || ptr == raw.data() + at) {
      malformed = true;
      return std::nullopt;
    }
    at = line_end + 2;
    if (size == 0) return body;
    if (raw.size() < at + size + 2) return std::nullopt;
    body.append(raw, at, size);
    at += size + 2;
  }
}

}  // namespace

platform::Result<int> Connect(const HttpUrl& url, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found) != 0 || !found) {
    return platform::Error{"cannot resolve the host"};
  }
  int connected = -1;
  bool timed_out = false;
  for (addrinfo* address = found; address && connected < 0; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int error = 0;
    socklen_t length = sizeof error;
    if (::connect(fd, address->ai_addr, address->ai_addrlen) == 0) {
      connected = fd;
    } else if (errno == EINPROGRESS) {
      if (!WaitUntil(fd, POLLOUT, deadline)) {
        timed_out = true;
      } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
        connected = fd;
      }
    }
    if (connected != fd) ::close(fd);
  }
  ::freeaddrinfo(found);
  if (connected < 0) return platform::Error{timed_out ? "timed out connecting" : "connection refused"};
  return connected;
}

std::optional<HttpUrl> ParseHttpUrl(const std::string& text) {
  // The shared parser, narrowed to what this client speaks: plain http, no query.
  const auto parsed = platform::ParseHttpUrl(text);
  if (!parsed || parsed->https() || parsed->query) return std::nullopt;
  HttpUrl url{parsed->host, parsed->PortText(), parsed->path};
  while (!url.path_prefix.empty() && url.path_prefix.back() == '/') url.path_prefix.pop_back();
  return url;
}

platform::Result<HttpClientAnswer> PostJson(const HttpUrl& url, const std::string& path, const HeaderList& headers,
                                            const std::string& body, std::chrono::milliseconds timeout) {
  HeaderList all = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  all.insert(all.end(), headers.begin(), headers.end());
  return SendRequest(url, "POST", path, all, body, timeout);
}

platform::Result<HttpClientAnswer> SendRequest(const HttpUrl& url, const std::string& method, const std::string& target,
                                               const HeaderList& headers, const std::string& body,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto connected = Connect(url, deadline);
  if (!connected) return connected.error();
  Socket socket(*connected);
  auto exchanged = Exchange(socket.fd(), url, method, target, headers, body, deadline, /*keep_alive=*/false);
  if (!exchanged) return exchanged.error();
  return std::move(exchanged->answer);
}

platform::Result<HttpExchange> Exchange(int fd, const HttpUrl& url, const std::string& method,
                                        const std::string& target, const HeaderList& headers, const std::string& body,
                                        Clock::time_point deadline, bool keep_alive) {
  const std::string host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  std::string request = method + " " + url.path_prefix + target + " HTTP/1.1\r\nHost: " + host + ":" + url.port +
                        (keep_alive ? "\r\n" : "\r\nConnection: close\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    if (!WaitUntil(fd, POLLOUT, deadline)) return platform::Error{"timed out sending"};
    const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      return platform::Error{"connection lost while sending"};
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string response;
  std::optional<std::size_t> head_end;
  Framing framing;
  bool closed = false;
  char buffer[8192];
  while (true) {
    if (head_end) {
      const std::string raw = response.substr(*head_end + 4);
      if (framing.chunked) {
        bool malformed = false;
        if (auto dechunked = Dechunk(raw, malformed)) {
          response.resize(*head_end + 4);
          response += *dechunked;
          break;
        }
        if (malformed) return platform::Error{"malformed chunked answer"};
      } else if (framing.content_length && raw.size() >= *framing.content_length) {
        response.resize(*head_end + 4 + *framing.content_length);
        break;
      }
    }
    if (!WaitUntil(fd, POLLIN, deadline)) return platform::Error{"timed out waiting for the answer"};
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return platform::Error{"connection lost while reading"};
    }
    if (n == 0) {
      // The close ends the body only when nothing else frames it.
      if (head_end && !framing.chunked && !framing.content_length) {
        closed = true;
        break;
      }
      return platform::Error{"connection closed before a complete answer"};
    }
    response.append(buffer, static_cast<std::size_t>(n));
    if (response.size() > kMaxAnswerBytes) return platform::Error{"answer larger than 64 KiB"};
    if (!head_end) {
      if (auto found = response.find("\r\n\r\n"); found != std::string::npos) {
        head_end = found;
        framing = FramingOf(response.substr(0, found));
      }
    }
  }

  const auto status_end = response.find("\r\n");
  const std::string status_line = response.substr(0, status_end);
  int status = 0;
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12 ||
      std::from_chars(status_line.data() + 9, status_line.data() + 12, status).ec != std::errc()) {
    return platform::Error{"the answer is not HTTP"};
  }
  HttpExchange exchanged{{status, response.substr(*head_end + 4), HeadersOf(response.substr(0, *head_end))}, false};
  // HTTP/1.1 keeps the connection unless either side says close; anything after the answer would be a protocol error.
  exchanged.reusable =
      keep_alive && !closed && status_line.rfind("HTTP/1.1", 0) == 0 &&
      std::none_of(exchanged.answer.headers.begin(), exchanged.answer.headers.end(), [](const auto& h) {
        return h.first == "connection" && Lower(h.second).find("close") != std::string::npos;
      });
  return exchanged;
}

}  // namespace orders::command

#include <orders/testing/http_client.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

#include <orders/testing/loopback.hpp>

namespace orders::testing {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool ParseHead(const std::string& head, HttpResponse& response) {
  const auto line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return false;
  response.status = std::atoi(status_line.substr(9, 3).c_str());
  std::size_t position = line_end + 2;
  while (position < head.size()) {
    const auto end = head.find("\r\n", position);
    const std::string line = head.substr(position, end - position);
    position = end == std::string::npos ? head.size() : end + 2;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[Lower(line.substr(0, colon))] = value;
  }
  return true;
}

}  // namespace

std::optional<std::string> DecodeChunked(std::string_view bytes) {
  std::string body;
  std::size_t position = 0;
  while (true) {
    const auto line_end = bytes.find("\r\n", position);
    if (line_end == std::string_view::npos) return std::nullopt;
    std::size_t size = 0;
    const auto* first = bytes.data() + position;
    const auto [end, error] = std::from_chars(first, bytes.data() + line_end, size, 16);
    if (error != std::errc() || end == first) return std::nullopt;
    position = line_end + 2;
    if (size == 0)
      return bytes.find("\r\n", position) == std::string_view::npos ? std::nullopt : std::optional<std::string>(body);
    if (bytes.size() < position + size + 2) return std::nullopt;
    body.append(bytes.substr(position, size));
    position += size + 2;
  }
}

HttpResponse SendRaw(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  HttpResponse response;
  const int fd = ConnectLoopback(port);
  if (fd < 0) return response;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string buffer;
  std::optional<std::size_t> body_start;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  std::optional<std::string> decoded;
  char chunk[16384];
  while (true) {
    if (body_start && content_length && buffer.size() >= *body_start + *content_length) break;
    // Decoded only once the last chunk may have come, so a long body is not parsed again at every read.
    if (body_start && chunked && buffer.size() >= 5 && buffer.compare(buffer.size() - 5, 5, "0\r\n\r\n") == 0 &&
        (decoded = DecodeChunked(std::string_view(buffer).substr(*body_start)))) {
      break;
    }
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (remaining <= 0) break;
    pollfd waiter{fd, POLLIN, 0};
    if (::poll(&waiter, 1, static_cast<int>(remaining)) <= 0) break;
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (!body_start) {
      const auto head_end = buffer.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      body_start = head_end + 4;
      if (!ParseHead(buffer.substr(0, head_end), response)) break;
      const std::string length = response.Header("content-length");
      if (!length.empty()) content_length = std::stoul(length);
      chunked = Lower(response.Header("transfer-encoding")) == "chunked";
    }
  }
  ::close(fd);
  if (body_start) {
    response.body = buffer.substr(std::min(*body_start, buffer.size()));
    if (content_length && response.body.size() > *content_length) response.body.resize(*content_length);
    // A chunked body that never ended stays as it came, framing included: a test sees it broken.
    if (decoded) response.body = std::move(*decoded);
  }
  return response;
}

HttpResponse HttpRequest(std::uint16_t port, const std::string& method, const std::string& path,
                         const std::string& body, const std::map<std::string, std::string>& headers,
                         std::chrono::milliseconds timeout) {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
    has_content_type = has_content_type || Lower(name) == "content-type";
  }
  if (!body.empty() && !has_content_type) request += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  return SendRaw(port, request, timeout);
}

}  // namespace orders::testing

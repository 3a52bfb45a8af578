#include <orders/testing/sse_client.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace orders::testing {

void SseReader::Feed(std::string_view bytes) {
  buffer_ += bytes;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = buffer_.find_first_of("\r\n", start);
    if (end == std::string::npos) break;
    // A CR at the very end may be the first half of a CRLF: wait for more.
    if (buffer_[end] == '\r' && end + 1 == buffer_.size()) break;
    Line(std::string_view(buffer_).substr(start, end - start));
    start = end + (buffer_[end] == '\r' && buffer_[end + 1] == '\n' ? 2 : 1);
  }
  buffer_.erase(0, start);
}

void SseReader::Line(std::string_view line) {
  if (line.empty()) {
    if (any_field_) {
      if (current_.event.empty() && has_data_) current_.event = "message";
      ready_.push_back(std::move(current_));
    }
    current_ = {};
    any_field_ = false;
    has_data_ = false;
    return;
  }
  any_field_ = true;
  if (line.front() == ':') {
    line.remove_prefix(1);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    current_.comment += std::string(line);
    return;
  }
  const auto colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (name == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += std::string(value);
    has_data_ = true;
  } else if (name == "event") {
    current_.event = std::string(value);
  } else if (name == "id") {
    current_.id = std::string(value);
    current_.has_id = true;
  } else if (name == "retry") {
    current_.retry = std::atol(std::string(value).c_str());
  }
}

std::optional<SseEvent> SseReader::Next() {
  if (ready_.empty()) return std::nullopt;
  SseEvent event = std::move(ready_.front());
  ready_.pop_front();
  return event;
}

SseClient::~SseClient() {
  if (fd_ >= 0) ::close(fd_);
}

int SseClient::Open(std::uint16_t port, const std::string& path, const std::map<std::string, std::string>& headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer_ > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_, sizeof receive_buffer_);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 0;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return 0;
  std::string head;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (head.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, 100) <= 0) continue;
    char c;
    if (::recv(fd_, &c, 1, 0) != 1) break;
    head.push_back(c);
  }
  if (head.size() < 12 || head.rfind("HTTP/1.1 ", 0) != 0) return 0;
  std::size_t at = head.find("\r\n") + 2;
  while (at < head.size()) {
    const std::size_t end = head.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    const std::string line = head.substr(at, end - at);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers_[name] = value;
    }
    at = end + 2;
  }
  const int status = std::atoi(head.substr(9, 3).c_str());
  if (status != 200) {
    const std::size_t length =
        headers_.count("content-length") ? std::stoul(headers_.at("content-length")) : std::size_t{0};
    char buffer[4096];
    while (body_.size() < length && std::chrono::steady_clock::now() < deadline) {
      pollfd waiter{fd_, POLLIN, 0};
      if (::poll(&waiter, 1, 100) <= 0) continue;
      const auto n = ::recv(fd_, buffer, std::min(sizeof buffer, length - body_.size()), 0);
      if (n <= 0) break;
      body_.append(buffer, static_cast<std::size_t>(n));
    }
  }
  return status;
}

bool SseClient::Fill(std::chrono::steady_clock::time_point deadline) {
  const auto remaining =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (remaining <= 0 || ended_) return false;
  pollfd waiter{fd_, POLLIN, 0};
  if (::poll(&waiter, 1, static_cast<int>(remaining)) <= 0) return false;
  char buffer[65536];
  const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n <= 0) {
    ended_ = true;
    return false;
  }
  reader_.Feed(std::string_view(buffer, static_cast<std::size_t>(n)));
  return true;
}

std::optional<SseEvent> SseClient::Next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto event = reader_.Next()) return event;
    if (!Fill(deadline)) return std::nullopt;
  }
}

std::optional<SseEvent> SseClient::NextEvent(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto event = Next(left);
    if (!event) return std::nullopt;
    if (!event->comment.empty() || (event->retry && event->data.empty())) continue;
    return event;
  }
}

bool SseClient::WaitForEnd(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ended_ && std::chrono::steady_clock::now() < deadline) {
    if (!Fill(deadline)) {
      if (ended_) break;
    }
    while (reader_.Next()) {
    }
  }
  return ended_;
}

}  // namespace orders::testing

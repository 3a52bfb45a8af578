#include "raw_http.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <fstream>

namespace orders::testing::hostile {

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

std::string RawConnection::Read(std::chrono::milliseconds timeout, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 16384> chunk{};
  while (!closed_ && fd_ >= 0 && SplitResponses(pending_).size() < count) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, static_cast<int>(left)) <= 0) break;
    const auto n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n <= 0) {
      closed_ = true;
      break;
    }
    pending_.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return pending_;
}

std::optional<RawResponse> RawConnection::NextResponse(std::chrono::milliseconds timeout) {
  auto responses = SplitResponses(Read(timeout, 1));
  if (responses.empty()) return std::nullopt;
  RawResponse first = std::move(responses.front());
  pending_.erase(0, first.head.size() + 4 + first.body.size());
  return first;
}

bool RawConnection::ClosedByServer(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::array<char, 4096> chunk{};
  while (!closed_ && fd_ >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, static_cast<int>(std::max<long>(0, left))) <= 0) break;
    const auto n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n <= 0) {
      closed_ = true;
      break;
    }
    pending_.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return closed_;
}

std::vector<RawResponse> SplitResponses(const std::string& bytes) {
  std::vector<RawResponse> responses;
  std::size_t position = 0;
  while (position < bytes.size()) {
    const auto head_end = bytes.find("\r\n\r\n", position);
    if (head_end == std::string::npos || bytes.compare(position, 7, "HTTP/1.") != 0) break;
    RawResponse response;
    response.head = bytes.substr(position, head_end - position);
    response.status = std::atoi(response.head.substr(9, 3).c_str());
    std::size_t length = 0;
    std::string lower = response.head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\ncontent-length:");
    if (at != std::string::npos) length = std::strtoul(lower.c_str() + at + 17, nullptr, 10);
    const auto body_start = head_end + 4;
    if (body_start + length > bytes.size()) break;  // incomplete
    response.body = bytes.substr(body_start, length);
    responses.push_back(std::move(response));
    position = body_start + length;
  }
  return responses;
}

std::string InternalTextIn(const std::string& text) {
  static const char* const kMarkers[] = {
      "pqxx", "what()", "std::", "basic_string", "bad_alloc", "stoul", "stoll", "exception", "Exception", "terminate",
      "pistache", "Pistache", "restinio", "RESTinio", "asio", "rdkafka", "librdkafka", "nlohmann", "libstdc++", ".cpp",
      ".hpp", ".so", " at 0x", "#0 ", "#1 ", "SQL", "syntax error",
      // Pistache's own parser messages, which it used to send as response bodies.
      "Got mutually exclusive", "Invalid chunk size", "Unknown HTTP request method", "Encountered invalid HTTP version",
      "Request exceeded maximum buffer size", "_M_create"};
  for (const char* marker : kMarkers) {
    if (text.find(marker) != std::string::npos) return marker;
  }
  return {};
}

int OpenDescriptors(pid_t pid) {
  DIR* directory = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!directory) return -1;
  int count = 0;
  while (const dirent* entry = ::readdir(directory)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(directory);
  return count;
}

long ResidentKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

}  // namespace orders::testing::hostile

#include <orders/testing/ws_client.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

namespace orders::testing {
namespace {

std::array<std::uint8_t, 4> RandomMask() {
  static thread_local std::mt19937 random(std::random_device{}());
  const auto value = random();
  return {static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
          static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)};
}

}  // namespace

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
}

int WsClient::Connect(std::uint16_t port, const std::string& path, const std::map<std::string, std::string>& headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer_ > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_, sizeof receive_buffer_);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 0;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  std::map<std::string, std::string> all = {{"Upgrade", "websocket"},
                                            {"Connection", "Upgrade"},
                                            {"Sec-WebSocket-Version", "13"},
                                            {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  for (const auto& [name, value] : headers) all[name] = value;
  for (const auto& [name, value] : all) {
    if (!value.empty()) request += name + ": " + value + "\r\n";
  }
  request += "\r\n";
  if (!SendRaw(request)) return 0;
  // Read the response head byte by byte up to the blank line.
  std::string head;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (head.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, 100) <= 0) continue;
    char c;
    if (::recv(fd_, &c, 1, 0) != 1) break;
    head.push_back(c);
  }
  if (head.size() < 12 || head.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(head.substr(9, 3).c_str());
}

bool WsClient::SendRaw(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool WsClient::SendText(const std::string& text) {
  return SendRaw(notifier::EncodeFrame(notifier::Opcode::kText, text, true, RandomMask()));
}

bool WsClient::Fill(std::chrono::steady_clock::time_point deadline) {
  const auto remaining =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (remaining <= 0 || closed_) return false;
  pollfd waiter{fd_, POLLIN, 0};
  if (::poll(&waiter, 1, static_cast<int>(remaining)) <= 0) return false;
  char buffer[65536];
  const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  if (parser_.Feed(std::string_view(buffer, static_cast<std::size_t>(n)), inbox_)) closed_ = true;
  return true;
}

std::optional<std::string> WsClient::Receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    while (!inbox_.empty()) {
      auto message = std::move(inbox_.front());
      inbox_.erase(inbox_.begin());
      if (message.opcode == notifier::Opcode::kClose) {
        closed_ = true;
        if (message.payload.size() >= 2) {
          close_code_ = static_cast<std::uint16_t>((static_cast<std::uint8_t>(message.payload[0]) << 8) |
                                                   static_cast<std::uint8_t>(message.payload[1]));
        }
        return std::nullopt;
      }
      if (message.opcode == notifier::Opcode::kPing) {
        SendRaw(notifier::EncodeFrame(notifier::Opcode::kPong, message.payload, true, RandomMask()));
        continue;
      }
      if (message.opcode == notifier::Opcode::kText || message.opcode == notifier::Opcode::kBinary) {
        return message.payload;
      }
    }
    if (!Fill(deadline)) return std::nullopt;
  }
}

nlohmann::json WsClient::ReceiveJson(std::chrono::milliseconds timeout) {
  auto text = Receive(timeout);
  if (!text) return nlohmann::json();
  return nlohmann::json::parse(*text, nullptr, false);
}

std::uint16_t WsClient::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && std::chrono::steady_clock::now() < deadline) Receive(timeout);
  return close_code_;
}

}  // namespace orders::testing

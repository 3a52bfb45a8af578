// KeepAliveClient against a real loopback HTTP/1.1 peer that counts the
// connections it accepted and answers each request with that count.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "http/keep_alive_client.hpp"

namespace orders::command {
namespace {

enum class PeerStyle {
  kKeepsConnections,     // HTTP/1.1 keep-alive
  kSaysClose,            // "Connection: close", then closes
  kClosesWithoutSaying,  // answers as if keeping the connection, then closes it (an idle timeout)
};

class CountingPeer {
 public:
  explicit CountingPeer(PeerStyle style) : style_(style) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 16);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~CountingPeer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    for (auto& connection : connections_) connection.join();
  }
  HttpUrl Url() const { return {"127.0.0.1", std::to_string(port_), ""}; }
  int Accepted() const { return accepted_.load(); }

 private:
  void Accept() {
    while (true) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      const int number = ++accepted_;
      connections_.emplace_back([this, fd, number] { Serve(fd, number); });
    }
  }
  void Serve(int fd, int number) {
    std::string pending;
    char buffer[4096];
    while (true) {
      const auto head_end = pending.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        pending.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      pending.erase(0, head_end + 4);  // the requests of these tests have no body
      const std::string body = std::to_string(number);
      std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
      if (style_ == PeerStyle::kSaysClose) answer += "Connection: close\r\n";
      answer += "\r\n" + body;
      ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      if (style_ != PeerStyle::kKeepsConnections) break;
    }
    ::close(fd);
  }

  PeerStyle style_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // only the acceptor thread adds to it
};

std::vector<std::string> SendThree(KeepAliveClient& client, const HttpUrl& url) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    auto answer = client.Send(url, "GET", "/orders/1", {}, "", std::chrono::seconds(5));
    bodies.push_back(answer ? std::to_string(answer->status) + ":" + answer->body : "error: " + answer.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // lets a close reach the client while it is idle
  }
  return bodies;
}

TEST(KeepAliveClient, RequestsToOnePeerShareOneConnection) {
  CountingPeer peer(PeerStyle::kKeepsConnections);
  KeepAliveClient client;
  EXPECT_EQ(SendThree(client, peer.Url()), (std::vector<std::string>{"200:1", "200:1", "200:1"}));
  EXPECT_EQ(peer.Accepted(), 1);
  EXPECT_EQ(client.OpenConnections(), 1u);
}

TEST(KeepAliveClient, APeerThatSaysCloseGetsAFreshConnectionForTheNextRequest) {
  CountingPeer peer(PeerStyle::kSaysClose);
  KeepAliveClient client;
  EXPECT_EQ(SendThree(client, peer.Url()), (std::vector<std::string>{"200:1", "200:2", "200:3"}));
  EXPECT_EQ(client.OpenConnections(), 0u);
}

TEST(KeepAliveClient, AConnectionThePeerClosedWhileIdleIsReplacedRatherThanFailingTheRequest) {
  CountingPeer peer(PeerStyle::kClosesWithoutSaying);
  KeepAliveClient client;
  EXPECT_EQ(SendThree(client, peer.Url()), (std::vector<std::string>{"200:1", "200:2", "200:3"}));
  EXPECT_EQ(peer.Accepted(), 3);
}

TEST(KeepAliveClient, AnUnreachablePeerIsAnErrorAndLeavesNothingOpen) {
  HttpUrl nowhere;
  {
    CountingPeer peer(PeerStyle::kKeepsConnections);
    nowhere = peer.Url();
  }  // closed: nothing listens on its port any more
  KeepAliveClient client;
  auto answer = client.Send(nowhere, "GET", "/", {}, "", std::chrono::seconds(2));
  EXPECT_FALSE(answer);
  EXPECT_EQ(client.OpenConnections(), 0u);
}

}  // namespace
}  // namespace orders::command

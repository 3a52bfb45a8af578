#pragma once
// The notifier's HTTP client for the command API: runs WebSocket commands as
// REST calls, asynchronously on the hub's io thread (it never blocks it).
// Keeps a few idle keep-alive connections for reuse (a reused connection the
// server closed meanwhile is retried once on a new one), caps the connections
// in use (further calls wait their turn), and gives every call a deadline that
// covers waiting, connecting, writing and reading. Failures become a
// problem+json answer: 503 when the command API cannot be reached, 504 when it
// did not answer in time (the command may have run), 502 for an answer that
// is not HTTP or not JSON.

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include <asio.hpp>
#include <orders/notifier/command_runner.hpp>
#include <orders/notifier/http_response.hpp>

namespace orders::notifier {

struct CommandApiOptions {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_connections = 64;  // in use at once
  std::size_t max_idle_connections = 16;
  std::size_t max_response_bytes = 1 << 20;
};

class CommandApiClient : public CommandRunner {
 public:
  CommandApiClient(asio::io_context& io, HttpEndpoint endpoint, CommandApiOptions options = {});
  ~CommandApiClient() override;

  void Run(const HttpCall& call, const std::string& bearer_token, std::function<void(CommandAnswer)> done) override;

  std::size_t idle_connections() const { return idle_.size(); }
  std::uint64_t connections_opened() const { return connections_opened_; }

 private:
  struct Call;
  void Dispatch(const std::shared_ptr<Call>& call);
  void Start(const std::shared_ptr<Call>& call);
  void Connect(const std::shared_ptr<Call>& call);
  void Write(const std::shared_ptr<Call>& call);
  void Read(const std::shared_ptr<Call>& call);
  void Fail(const std::shared_ptr<Call>& call, int status, const std::string& detail);
  void Finish(const std::shared_ptr<Call>& call, CommandAnswer answer);
  void StartQueued();

  asio::io_context& io_;
  HttpEndpoint endpoint_;
  CommandApiOptions options_;
  asio::ip::tcp::resolver resolver_;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> idle_;
  std::deque<std::shared_ptr<Call>> queued_;
  std::size_t in_use_ = 0;
  std::uint64_t connections_opened_ = 0;
};

}  // namespace orders::notifier

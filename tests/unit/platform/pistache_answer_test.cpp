// Answers of the Pistache glue: their bytes, and answers sent from threads
// other than the server's reactor (how the command service answers once Kafka
// confirms an append) arriving whole under load.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <orders/platform/metrics.hpp>
#include <orders/platform/pistache/answer.hpp>
#include <orders/platform/pistache/http_server.hpp>
#include <orders/platform/pistache/router.hpp>

#include "hostile/raw_http.hpp"

namespace orders::platform::pistache_http {
namespace {

using namespace std::chrono_literals;
using testing::hostile::RawConnection;

TEST(WireResponseTest, WritesStatusLineHeadersInOrderLengthAndBody) {
  EXPECT_EQ(WireResponse(503, "Service Unavailable", {{"Content-Type", "text/plain"}, {"Retry-After", "1"}}, "later"),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 1\r\n"
            "Content-Length: 5\r\n\r\nlater");
}

TEST(WireResponseTest, AnEmptyBodyStillSaysItsLength) {
  EXPECT_EQ(WireResponse(204, "No Content", {}, ""), "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
}

// Exchanges handed to a few threads that answer them, as Kafka's delivery threads do.
class AnsweringThreads {
 public:
  explicit AnsweringThreads(int count) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~AnsweringThreads() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
  }
  void Answer(ExchangePtr exchange, std::string body) {
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back(std::move(exchange), std::move(body));
    }
    wake_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [exchange, body] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      exchange->Respond({200, "text/plain", {{"X-Answered-By", "worker"}}, body});
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<ExchangePtr, std::string>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

TEST(PistacheAnswerTest, AnswersFromOtherThreadsArriveWholeOnKeptAliveConnections) {
  MetricsRegistry metrics;
  auto router =
      std::make_shared<Router>(metrics, CorsPolicy{}, [](const Pistache::Rest::Request&) { return GuardResult{}; });
  AnsweringThreads workers(4);
  router->Add(
      Pistache::Http::Method::Get, "/echo/{n}",
      [&workers](const Pistache::Rest::Request& request, const ExchangePtr& exchange) {
        workers.Answer(exchange, "answer " + request.param(":n").as<std::string>());
      },
      Access::kOpen);
  router->Finish();
  HttpServer server({}, router);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << port.error().message;

  constexpr int kClients = 8;
  constexpr int kRequestsEach = 1500;
  std::atomic<int> whole{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      RawConnection connection(*port);
      for (int i = 0; i < kRequestsEach; ++i) {
        const std::string n = std::to_string(client * kRequestsEach + i);
        if (!connection.Send("GET /echo/" + n + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")) {
          failures[client] = "connection closed before request " + n;
          return;
        }
        auto response = connection.NextResponse(5s);
        if (!response || response->status != 200 || response->body != "answer " + n ||
            response->head.find("X-Answered-By: worker") == std::string::npos) {
          failures[client] = "request " + n + " got " + (response ? response->head + response->body : "nothing");
          return;
        }
        whole.fetch_add(1);
      }
    });
  }
  for (auto& client : clients) client.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");
  EXPECT_EQ(whole.load(), kClients * kRequestsEach);
}

}  // namespace
}  // namespace orders::platform::pistache_http

#pragma once
// The Scheduler of VersionWait (version_wait.hpp) on an asio io_context: the
// HTTP server's, so continuations run on its threads.

#include <asio.hpp>
#include <memory>

#include <orders/projection/version_wait.hpp>

namespace orders::projection {

class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(asio::io_context& io_context) : io_context_(io_context) {}

  void Post(std::function<void()> task) override { asio::post(io_context_, std::move(task)); }

  // The timer keeps itself alive until it fires.
  void After(std::chrono::milliseconds delay, std::function<void()> task) override {
    auto timer = std::make_shared<asio::steady_timer>(io_context_, delay);
    timer->async_wait([timer, task = std::move(task)](const asio::error_code&) { task(); });
  }

 private:
  asio::io_context& io_context_;
};

}  // namespace orders::projection

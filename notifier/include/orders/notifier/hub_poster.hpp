#pragma once
// Hands items read on a consumer thread to the hub's io thread in batches, in
// the order they were added. Bounded: when the io thread is more than
// kMaxPending items behind, Flush waits (the consumer slows down) rather than
// dropping anything or queueing without end. Add and Flush are called on one
// thread (the consumer's); `deliver` runs on the io thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include <asio.hpp>

namespace orders::notifier {

template <class Item>
class HubPoster {
 public:
  HubPoster(asio::io_context& io, std::function<void(const Item&)> deliver) : io_(io), deliver_(std::move(deliver)) {}

  void Add(Item item) {
    batch_.push_back(std::move(item));
    if (batch_.size() >= kBatch) Flush();
  }

  void Flush() {
    if (batch_.empty()) return;
    while (pending_.load() > kMaxPending) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    pending_ += static_cast<std::int64_t>(batch_.size());
    asio::post(io_, [this, items = std::move(batch_)] {
      for (const auto& item : items) deliver_(item);
      pending_ -= static_cast<std::int64_t>(items.size());
    });
    batch_.clear();
  }

 private:
  static constexpr std::size_t kBatch = 256;
  static constexpr std::int64_t kMaxPending = 100000;

  asio::io_context& io_;
  std::function<void(const Item&)> deliver_;
  std::vector<Item> batch_;
  std::atomic<std::int64_t> pending_{0};
};

}  // namespace orders::notifier

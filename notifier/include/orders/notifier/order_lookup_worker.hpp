#pragma once
// The OrderLookup the notifier runs: questions from the hub's thread go into a
// bounded queue, one worker thread asks the read model (an OrderSource) for
// up to `max_batch` of them at a time, and every answer is posted back to the
// hub's thread. So the database is never asked on the thread that serves the
// sockets, a reconnect storm costs a few queries rather than one per client,
// and an id that is not a UUID is answered `absent` without reaching the
// database at all.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/notifier/order_lookup.hpp>
#include <orders/platform/result.hpp>

namespace orders::notifier {

// The read model, asked synchronously (only ever from the worker's thread).
class OrderSource {
 public:
  virtual ~OrderSource() = default;
  // Those of `order_ids` (valid UUIDs, no repeats) the read model holds; an
  // Error when it could not be asked (unreachable, timed out).
  virtual platform::Result<std::vector<domain::Order>> Fetch(const std::vector<std::string>& order_ids) = 0;
};

struct LookupWorkerOptions {
  std::size_t max_queued = 1024;  // more waiting questions fail at once (the hub answers `unavailable`)
  std::size_t max_batch = 100;    // order ids per query
};

class OrderLookupWorker final : public OrderLookup {
 public:
  // `post` runs a function on the hub's thread (asio::post to its io_context in the service).
  OrderLookupWorker(OrderSource& source, std::function<void(std::function<void()>)> post,
                    LookupWorkerOptions options = {});
  ~OrderLookupWorker() override;

  void Find(const std::string& order_id, std::function<void(OrderLookupResult)> done) override;
  // Joins the worker. Questions still queued are never answered: the hub's
  // own deadline answers their clients. Call before the hub's thread stops.
  void Stop();

 private:
  struct Request {
    std::string order_id;
    std::function<void(OrderLookupResult)> done;
  };
  void Run();
  void Answer(std::vector<Request>& batch);
  void Post(std::function<void(OrderLookupResult)> done, OrderLookupResult result);

  OrderSource& source_;
  std::function<void(std::function<void()>)> post_;
  LookupWorkerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace orders::notifier

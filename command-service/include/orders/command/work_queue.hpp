#pragma once
// One thread running posted work in order. The order book hands it the
// commands that waited for an order, so that they never run inside the call
// that freed the order: that call may be a Kafka delivery callback, running
// on the producer's poll thread or inside the producer's own re-creation.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace orders::command {

class WorkQueue {
 public:
  WorkQueue();
  ~WorkQueue();

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Runs `work` on the queue's thread after everything posted before it.
  // After Stop() it runs at once on the caller's thread: nothing is dropped.
  void Post(std::function<void()> work);
  // Runs what is queued, then ends the thread. Idempotent.
  void Stop();

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace orders::command

#include <orders/notifier/order_lookup_worker.hpp>

#include <algorithm>
#include <map>

#include <orders/domain/validation.hpp>

namespace orders::notifier {

OrderLookupWorker::OrderLookupWorker(OrderSource& source, std::function<void(std::function<void()>)> post,
                                     LookupWorkerOptions options)
    : source_(source), post_(std::move(post)), options_(options), thread_([this] { Run(); }) {}

OrderLookupWorker::~OrderLookupWorker() { Stop(); }

void OrderLookupWorker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OrderLookupWorker::Post(std::function<void(OrderLookupResult)> done, OrderLookupResult result) {
  post_([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

void OrderLookupWorker::Find(const std::string& order_id, std::function<void(OrderLookupResult)> done) {
  // Clients' ids are checked before they get here; this keeps anything else out of SQL all the same.
  if (!domain::IsValidOrderId(order_id)) {
    Post(std::move(done), {OrderLookupResult::Outcome::kAbsent, std::nullopt, {}});
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back({order_id, std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  Post(std::move(done), {OrderLookupResult::Outcome::kFailed, std::nullopt, "the lookup queue is full"});
}

void OrderLookupWorker::Run() {
  std::vector<Request> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch.clear();
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Answer(batch);
  }
}

void OrderLookupWorker::Answer(std::vector<Request>& batch) {
  std::vector<std::string> ids;
  for (const auto& request : batch) ids.push_back(request.order_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  platform::Result<std::vector<domain::Order>> fetched = platform::Error{"not asked"};
  try {
    fetched = source_.Fetch(ids);
  } catch (const std::exception& error) {  // the edge of the worker: a throw is a failed lookup, not a dead thread
    fetched = platform::Error{error.what()};
  }
  std::map<std::string, const domain::Order*> found;
  if (fetched) {
    for (const auto& order : *fetched) found.emplace(order.order_id, &order);
  }
  for (auto& request : batch) {
    OrderLookupResult result;
    if (!fetched) {
      result = {OrderLookupResult::Outcome::kFailed, std::nullopt, fetched.error().message};
    } else if (auto it = found.find(request.order_id); it != found.end()) {
      result = {OrderLookupResult::Outcome::kFound, *it->second, {}};
    } else {
      result = {OrderLookupResult::Outcome::kAbsent, std::nullopt, {}};
    }
    Post(std::move(request.done), std::move(result));
  }
}

}  // namespace orders::notifier

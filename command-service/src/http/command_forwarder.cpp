#include "command_forwarder.hpp"

#include <algorithm>

#include <orders/command/partitioning.hpp>
#include <orders/platform/log.hpp>

namespace orders::command {
namespace {

// The writer's answer headers a client may rely on; the rest (framing, connection) are this hop's.
constexpr std::string_view kRelayedHeaders[] = {"etag",      "location",         "retry-after",
                                                "ratelimit", "ratelimit-policy", "www-authenticate"};

}  // namespace

CommandForwarder::CommandForwarder(WriterDirectory& directory, std::function<std::int32_t()> partition_count,
                                   ForwarderSettings settings, platform::MetricsRegistry& metrics,
                                   const platform::Labels& stream)
    : directory_(directory),
      partition_count_(std::move(partition_count)),
      settings_(std::move(settings)),
      relayed_(metrics.AddCounter("orders_command_forwarded_total",
                                  "Requests forwarded to the instance writing the order or product",
                                  platform::WithLabel(stream, "outcome", "relayed"))),
      failed_(metrics.AddCounter("orders_command_forwarded_total",
                                 "Requests forwarded to the instance writing the order or product",
                                 platform::WithLabel(stream, "outcome", "failed"))),
      seconds_(metrics.AddHistogram("orders_command_forward_seconds",
                                    "From forwarding a request to the writer's answer", platform::LatencyBuckets(),
                                    stream)) {
  for (std::size_t i = 0; i < settings_.threads; ++i) threads_.emplace_back([this] { Run(); });
}

CommandForwarder::~CommandForwarder() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  // Whatever was still queued gets no relayed answer: its callers answer themselves.
  for (auto& job : jobs_) job.done(std::nullopt);
}

void CommandForwarder::SetSelfUrl(std::string url) {
  std::lock_guard lock(mutex_);
  self_url_ = std::move(url);
}

std::optional<std::string> CommandForwarder::WriterOf(std::string_view routing_key) {
  const auto partitions = partition_count_();
  if (partitions <= 0) return std::nullopt;
  const auto partition = PartitionOf(routing_key, partitions);
  auto url = directory_.WriterOf(partition);
  bool self = false;
  {
    std::lock_guard lock(mutex_);
    self = url && *url == self_url_;
  }
  // Asked because this instance does not write it: naming this instance is out of date.
  if (self) directory_.Stale(partition);
  if (!url || self) return std::nullopt;
  return url;
}

void CommandForwarder::Forward(std::string url, std::string_view routing_key, ForwardedRequest request,
                               std::function<void(std::optional<HttpAnswer>)> done) {
  const auto partition = PartitionOf(routing_key, std::max(partition_count_(), 1));
  {
    std::lock_guard lock(mutex_);
    if (!stop_ && jobs_.size() < settings_.max_waiting) {
      jobs_.push_back({std::move(url), partition, std::move(request), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  failed_.Inc();
  done(std::nullopt);
}

void CommandForwarder::Run() {
  KeepAliveClient client;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    auto answer = Send(job, client);
    job.done(std::move(answer));
    lock.lock();
  }
}

std::optional<HttpAnswer> CommandForwarder::Send(const Job& job, KeepAliveClient& client) {
  const auto started = std::chrono::steady_clock::now();
  const auto url = ParseHttpUrl(job.url);
  auto headers = job.request.headers;
  {
    std::lock_guard lock(mutex_);
    headers.emplace_back(kForwardedHeader, self_url_);
  }
  auto answer =
      url ? client.Send(*url, job.request.method, job.request.target, headers, job.request.body, settings_.timeout)
          : platform::Result<HttpClientAnswer>(platform::Error{"not an http:// URL"});
  seconds_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!answer) {
    failed_.Inc();
    platform::LogWarn("could not forward a request to the instance writing its order",
                      {{"writer", job.url}, {"method", job.request.method}, {"why", answer.error().message}});
    return std::nullopt;
  }
  relayed_.Inc();
  if (answer->status == 503) directory_.Stale(job.partition);
  HttpAnswer relayed{answer->status, {}, {}, std::move(answer->body)};
  for (const auto& [name, value] : answer->headers) {
    if (name == "content-type") {
      relayed.content_type = value;
      continue;
    }
    for (const auto relayed_name : kRelayedHeaders) {
      if (name == relayed_name) relayed.headers.emplace_back(name, value);
    }
  }
  return relayed;
}

}  // namespace orders::command

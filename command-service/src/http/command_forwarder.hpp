#pragma once
// Forwards a command (or a read) for an order another instance writes to that
// instance, and relays its answer, so that a client or a load balancer may
// send anything to any instance. One hop only: a forwarded request carries
// kForwardedHeader, and the instance receiving it answers itself (503 if it
// no longer writes the order) rather than forwarding again. Requests run on
// the forwarder's own threads (the HTTP client blocks), each with its own
// kept-alive connection to every writer, at most `max_waiting` queued; beyond
// that, or when the writer is unknown or unreachable, the caller answers what
// it would have without forwarding (503, Retry-After).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <orders/command/http_answer.hpp>
#include <orders/command/writer_directory.hpp>
#include <orders/platform/metrics.hpp>

#include "http_client.hpp"
#include "keep_alive_client.hpp"

namespace orders::command {

inline constexpr const char* kForwardedHeader = "Orders-Forwarded-By";

struct ForwardedRequest {
  std::string method;
  std::string target;  // path and query
  HeaderList headers;  // what the writer needs to decide as this instance would have
  std::string body;
};

struct ForwarderSettings {
  // A forwarded command holds its thread until the writer answered, which is
  // after its Kafka acknowledgement: the threads bound the forwarded commands
  // in flight, and a balancer forwards two of every three with three instances.
  std::size_t threads = 16;
  std::size_t max_waiting = 1024;
  std::chrono::milliseconds timeout{5000};
};

class CommandForwarder {
 public:
  // `stream`: the label its metrics carry (orders, inventory).
  CommandForwarder(WriterDirectory& directory, std::function<std::int32_t()> partition_count,
                   ForwarderSettings settings, platform::MetricsRegistry& metrics, const platform::Labels& stream);
  ~CommandForwarder();

  CommandForwarder(const CommandForwarder&) = delete;
  CommandForwarder& operator=(const CommandForwarder&) = delete;

  // This instance's own address (never forwarded to), known once it listens.
  void SetSelfUrl(std::string url);

  // The address of the instance writing the partition `routing_key` (an order
  // id, or an Idempotency-Key) falls into, when it is known and not this one.
  std::optional<std::string> WriterOf(std::string_view routing_key);

  // Sends `request` to `url`, the writer of `routing_key`'s partition; `done`
  // (on a forwarder thread) gets the writer's answer, or nullopt when there is
  // none to relay. A 503 from it makes the directory look again: it may no
  // longer write the partition.
  void Forward(std::string url, std::string_view routing_key, ForwardedRequest request,
               std::function<void(std::optional<HttpAnswer>)> done);

 private:
  struct Job {
    std::string url;
    platform::Partition partition = 0;
    ForwardedRequest request;
    std::function<void(std::optional<HttpAnswer>)> done;
  };
  void Run();
  std::optional<HttpAnswer> Send(const Job& job, KeepAliveClient& client);

  WriterDirectory& directory_;
  std::function<std::int32_t()> partition_count_;
  ForwarderSettings settings_;
  platform::Counter& relayed_;
  platform::Counter& failed_;
  platform::Histogram& seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::string self_url_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace orders::command

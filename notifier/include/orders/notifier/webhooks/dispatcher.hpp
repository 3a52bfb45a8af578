#pragma once
// The webhook dispatcher at run time: a consumer per topic in the group
// `<CONSUMER_GROUP>.webhooks.<topic>` (so with N notifier instances each partition,
// hence each event, is dispatched by one of them), worker threads that make
// the HTTP attempts, and a housekeeping thread that saves resume offsets
// (every 200 ms), takes due retries (every second) and re-reads the
// registry (every few seconds, so registrations made through another
// instance are picked up), and a ledger writer that writes what the core
// kept in batches, one transaction each, outside the lock (so neither the
// reading thread nor the workers wait for PostgreSQL on a delivery that
// fails or spills). The decisions are DispatcherCore's; this class only runs
// them under one lock. Reading pauses while more than `max_unwritten`
// ledger writes wait (PostgreSQL slow or down): memory stays bounded.
// A worker hands in an outcome and takes its next attempt in one turn of the
// lock; a sleeping worker is woken only when there is an attempt it could start.
// A catch-up thread runs the parks' catch-up rounds (DispatcherCore::TakeCatchUp):
// each round has a consumer of its own, outside the group, assigned to the
// park's partition at its offset; the thread polls them in turn without
// blocking on any, so a round waiting for its endpoint's queue holds no other.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <orders/notifier/webhooks/dispatcher_core.hpp>
#include <orders/notifier/webhooks/dispatcher_metrics.hpp>
#include <orders/notifier/webhooks/webhook_config.hpp>
#include <orders/platform/config.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/kafka_settings.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/result.hpp>

namespace orders::notifier::webhooks {

struct DispatcherOptions {
  platform::KafkaSettings kafka;    // group_id: `<CONSUMER_GROUP>.webhooks` (+ `.<topic>` per consumer)
  std::vector<std::string> topics;  // the order and inventory topics
  DispatchPolicy policy;
  int workers = 16;
  std::chrono::milliseconds save_every{200};
  std::chrono::milliseconds retry_every{1000};
  std::chrono::milliseconds refresh_every{3000};
  std::chrono::milliseconds write_every{20};  // the ledger writer's pace when idle
  std::size_t max_unwritten = 20000;
  // Reading holds a record back while the core says every healthy endpoint is full
  // (DispatcherCore::ReadingWaits), looking again every step, for at most the pause.
  std::chrono::milliseconds max_read_pause{500};
  std::chrono::milliseconds read_pause_step{2};
  std::size_t max_catch_ups = 16;  // catch-up rounds reading at once (a consumer each)
};

class Dispatcher {
 public:
  Dispatcher(DispatcherOptions options, EndpointRegistry& registry, DeliveryLedger& ledger, WebhookSender& sender,
             platform::MetricsRegistry& metrics);
  ~Dispatcher();

  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  platform::Result<void> Start();
  // Stops reading, lets attempts in flight finish within `grace`, saves every
  // partition's resume offset and leaves the group.
  void Stop(std::chrono::milliseconds grace);

  // Partitions of `topic` this instance owns now (tests, readiness).
  std::vector<platform::Partition> Owned(const std::string& topic);

 private:
  class TopicListener;
  void Poll(platform::KafkaConsumer& consumer);
  void AwaitRoom(const platform::ConsumedRecord& record);
  void Work();
  bool WorkForIdle() const;  // under mutex_: a sleeping worker could start an attempt
  void Housekeep();
  void WriteLedger();
  void CatchUps();
  template <typename Step>
  bool Guarded(const char* what, Step&& step);

  DispatcherOptions options_;
  WebhookSender& sender_;
  DispatcherMetrics metrics_;
  std::mutex mutex_;  // guards core_
  std::condition_variable work_ready_;
  std::size_t idle_workers_ = 0;  // guarded by mutex_: workers waiting on work_ready_
  DispatcherCore core_;
  std::vector<std::unique_ptr<TopicListener>> listeners_;
  std::vector<std::unique_ptr<platform::KafkaConsumer>> consumers_;
  std::vector<std::thread> pollers_;
  std::vector<std::thread> workers_;
  std::thread housekeeper_;
  std::thread writer_;
  std::thread catch_up_;
  DeliveryLedger& ledger_;
  std::atomic<bool> reading_{false};
  std::atomic<bool> endpoints_known_{false};  // the registry was read once
  std::atomic<bool> draining_{false};         // no new attempts start
  std::atomic<bool> stopped_{false};
  bool started_ = false;
};

// The dispatcher for a notifier (groups `<CONSUMER_GROUP or "notifier">.webhooks.<topic>`): the service's Kafka
// settings and topics, the WEBHOOK_* settings, and the three ports (PostgreSQL stores and the HTTP sender in
// production).
std::unique_ptr<Dispatcher> MakeWebhookDispatcher(const platform::ServiceConfig& service, const WebhookConfig& config,
                                                  EndpointRegistry& registry, DeliveryLedger& ledger,
                                                  WebhookSender& sender, platform::MetricsRegistry& metrics);

}  // namespace orders::notifier::webhooks

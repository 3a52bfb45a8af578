#include <orders/notifier/webhooks/dispatcher.hpp>

#include <orders/platform/kafka_properties.hpp>

#include <random>

#include <orders/platform/log.hpp>

namespace orders::notifier::webhooks {
namespace {

UniformRandom SeededUniform() {
  // Called under the dispatcher's lock only.
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

DispatchPolicy PolicyWithWorkers(const DispatcherOptions& options) {
  DispatchPolicy policy = options.policy;
  policy.workers = static_cast<std::size_t>(std::max(1, options.workers));
  return policy;
}

}  // namespace

// Partition ownership of one topic, told to the core on the polling thread.
class Dispatcher::TopicListener : public platform::PartitionListener {
 public:
  TopicListener(Dispatcher& dispatcher, std::string topic) : dispatcher_(dispatcher), topic_(std::move(topic)) {}

  void Attach(platform::KafkaConsumer& consumer) { consumer_ = &consumer; }

  platform::PartitionOffsets OnAssigned(const std::vector<platform::Partition>& partitions) override {
    // Asked before taking the lock: the broker may take a moment.
    const auto ends = consumer_ ? consumer_->EndOffsets(topic_, 5000) : std::nullopt;
    auto end_of = [&ends](platform::Partition partition) -> std::optional<platform::Offset> {
      if (!ends) return std::nullopt;
      auto it = ends->find(partition);
      return it == ends->end() ? std::nullopt : std::optional<platform::Offset>(it->second);
    };
    platform::PartitionOffsets starts;
    // Without its position from the ledger a partition cannot be read
    // safely (from the end it would skip events): wait for PostgreSQL.
    while (!dispatcher_.Guarded(
        "assign", [&] { starts = dispatcher_.core_.Assign(topic_, partitions, end_of, WallClock::now()); })) {
      if (!dispatcher_.reading_) {
        // Stopping: the partitions are left at once; nothing of them is read meanwhile.
        for (const auto partition : partitions) starts[partition] = platform::kOffsetEnd;
        return starts;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    platform::LogInfo("webhooks: partitions assigned", {{"topic", topic_}, {"partitions", partitions}});
    return starts;
  }

  void OnRevoked(const std::vector<platform::Partition>& partitions) override {
    dispatcher_.Guarded("revoke", [&] { dispatcher_.core_.Revoke(topic_, partitions, WallClock::now()); });
    platform::LogInfo("webhooks: partitions revoked", {{"topic", topic_}, {"partitions", partitions}});
  }

 private:
  Dispatcher& dispatcher_;
  std::string topic_;
  platform::KafkaConsumer* consumer_ = nullptr;
};

Dispatcher::Dispatcher(DispatcherOptions options, EndpointRegistry& registry, DeliveryLedger& ledger,
                       WebhookSender& sender, platform::MetricsRegistry& metrics)
    : options_(std::move(options)),
      sender_(sender),
      ledger_(ledger),
      metrics_(metrics),
      core_(registry, ledger, PolicyWithWorkers(options_), SeededUniform(), &metrics_) {}

Dispatcher::~Dispatcher() { Stop(std::chrono::milliseconds(0)); }

template <typename Step>
bool Dispatcher::Guarded(const char* what, Step&& step) {
  // The ports reach PostgreSQL: an outage is logged and the step tried again
  // later; the dispatcher never dies of it.
  try {
    std::lock_guard lock(mutex_);
    step();
    return true;
  } catch (const std::exception& error) {
    platform::LogWarn("webhooks: step failed", {{"step", what}, {"error", error.what()}});
    return false;
  }
}

platform::Result<void> Dispatcher::Start() {
  endpoints_known_ = Guarded("refresh", [&] { core_.RefreshEndpoints(WallClock::now()); });
  for (const auto& topic : options_.topics) {
    auto settings = options_.kafka;
    settings.client_id = options_.kafka.client_id + "-" + topic;
    // A group per topic: in one shared group, each instance's second consumer
    // joining (or leaving) would take the first topic's partitions away too,
    // and every such rebalance re-sends what was in flight.
    settings.group_id = options_.kafka.group_id + "." + topic;
    auto consumer = platform::KafkaConsumer::Create(settings);
    if (!consumer) return consumer.error();
    auto listener = std::make_unique<TopicListener>(*this, topic);
    listener->Attach(**consumer);
    if (auto subscribed = (*consumer)->Subscribe(topic, *listener); !subscribed) return subscribed.error();
    listeners_.push_back(std::move(listener));
    consumers_.push_back(std::move(*consumer));
  }
  started_ = true;
  reading_ = true;
  for (auto& consumer : consumers_) pollers_.emplace_back([this, &consumer] { Poll(*consumer); });
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Work(); });
  housekeeper_ = std::thread([this] { Housekeep(); });
  writer_ = std::thread([this] { WriteLedger(); });
  catch_up_ = std::thread([this] { CatchUps(); });
  return {};
}

void Dispatcher::Poll(platform::KafkaConsumer& consumer) {
  // Records read before the endpoints are known would go to nobody.
  while (reading_ && !endpoints_known_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  while (reading_) {
    bool backlog = false;
    {
      std::lock_guard lock(mutex_);
      backlog = core_.UnwrittenCount() > options_.max_unwritten;
    }
    if (backlog) {  // the ledger writer is behind: read on once it caught up
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    auto result = consumer.Poll(100);
    if (result.kind == platform::PollResult::Kind::kRecord) {
      AwaitRoom(result.record);
      bool wake = false;
      Guarded("record", [&] {
        core_.OnRecord(result.record, WallClock::now());
        wake = WorkForIdle();
      });
      // Only when a sleeping worker has something to start: a busy endpoint's workers need no call.
      if (wake) work_ready_.notify_one();
    } else if (result.kind == platform::PollResult::Kind::kMarker) {
      // No event; passed so that the resume offset and a park's catch-up can reach the end.
      Guarded("marker", [&] { core_.OnMarker(result.record); });
    } else if (result.kind == platform::PollResult::Kind::kError) {
      platform::LogWarn("webhooks: consumer error", {{"error", result.error}});
    }
  }
}

void Dispatcher::AwaitRoom(const platform::ConsumedRecord& record) {
  // Waits while the core says so, until the full queues are a quarter down (not a
  // hand-over per delivery), and at most `max_read_pause`: the consumer must come back
  // to polling (rebalances), and a record let through then spills to the ledger.
  const auto deadline = std::chrono::steady_clock::now() + options_.max_read_pause;
  std::optional<std::size_t> limit;
  while (reading_) {
    {
      std::lock_guard lock(mutex_);
      if (!core_.ReadingWaits(record, WallClock::now(), limit)) return;
    }
    if (std::chrono::steady_clock::now() >= deadline) return;
    limit = options_.policy.queue_per_endpoint - options_.policy.queue_per_endpoint / 4;
    std::this_thread::sleep_for(options_.read_pause_step);
  }
}

void Dispatcher::Work() {
  std::unique_lock lock(mutex_);
  while (!stopped_) {
    std::optional<Attempt> attempt;
    if (!draining_) attempt = core_.NextAttempt();
    if (!attempt) {
      ++idle_workers_;
      work_ready_.wait_for(lock, std::chrono::milliseconds(200));
      --idle_workers_;
      continue;
    }
    // Should there be more to do, this worker wakes the next one (the others sleep on).
    const bool more = WorkForIdle();
    lock.unlock();
    if (more) work_ready_.notify_one();
    PostOutcome outcome;
    try {
      outcome = sender_.Post(attempt->request);
    } catch (const std::exception&) {
      outcome.error = "internal error";
    }
    // The outcome and the next attempt in one turn of the lock: a busy endpoint's workers
    // go from one delivery to the next without waking anyone.
    lock.lock();
    try {
      core_.Finish(*attempt, outcome, WallClock::now());
    } catch (const std::exception& error) {
      platform::LogWarn("webhooks: step failed", {{"step", "finish"}, {"error", error.what()}});
    }
  }
}

bool Dispatcher::WorkForIdle() const { return idle_workers_ > 0 && core_.HasAttempt(); }

void Dispatcher::WriteLedger() {
  while (!stopped_) {
    std::vector<DispatcherCore::Unwritten> batch;
    {
      std::lock_guard lock(mutex_);
      batch = core_.TakeUnwritten();
    }
    if (batch.empty()) {
      std::this_thread::sleep_for(options_.write_every);
      continue;
    }
    std::vector<Delivery> deliveries;
    deliveries.reserve(batch.size());
    for (const auto& entry : batch) deliveries.push_back(entry.delivery);
    try {
      ledger_.KeepAll(deliveries);  // outside the lock: reading and attempts go on meanwhile
    } catch (const std::exception& error) {
      platform::LogWarn("webhooks: step failed", {{"step", "write ledger"}, {"error", error.what()}});
      {
        std::lock_guard lock(mutex_);
        core_.NotWritten(std::move(batch));
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    Guarded("written", [&] { core_.Written(batch); });
    work_ready_.notify_one();
  }
}

void Dispatcher::CatchUps() {
  struct Round {
    CatchUp catch_up;
    std::unique_ptr<platform::KafkaConsumer> consumer;
    std::optional<platform::ConsumedRecord> pending;  // handed in and told to wait
    std::chrono::steady_clock::time_point idle_since{};
  };
  std::vector<Round> rounds;
  auto next_take = std::chrono::steady_clock::now();
  while (!stopped_) {
    const auto now = std::chrono::steady_clock::now();
    // New rounds, at most every 50 ms, while there is room.
    if (reading_ && !draining_ && now >= next_take && rounds.size() < options_.max_catch_ups) {
      next_take = now + std::chrono::milliseconds(50);
      std::optional<CatchUp> taken;
      Guarded("catch-up", [&] { taken = core_.TakeCatchUp(WallClock::now()); });
      if (taken) {
        auto settings = options_.kafka;
        settings.client_id = options_.kafka.client_id + "-catch-up";
        settings.group_id.clear();  // assign() only: never a member of the dispatch group
        auto consumer = platform::KafkaConsumer::Create(settings);
        bool assigned = false;
        if (consumer) assigned = (*consumer)->Assign(taken->topic, taken->partition, taken->from).ok();
        if (!assigned) {
          platform::LogWarn("webhooks: catch-up reader could not start",
                            {{"endpoint", taken->endpoint_id}, {"partition", taken->partition}});
          Guarded("catch-up", [&] { core_.CatchUpFailed(*taken, WallClock::now()); });
        } else {
          platform::LogDebug("webhooks: catch-up", {{"endpoint", taken->endpoint_id},
                                                    {"topic", taken->topic},
                                                    {"partition", taken->partition},
                                                    {"from", taken->from}});
          rounds.push_back({*taken, std::move(*consumer), std::nullopt, now});
        }
        next_take = now;  // another may be due too
      }
    }
    bool progressed = false;
    for (auto it = rounds.begin(); it != rounds.end();) {
      Round& round = *it;
      auto step = CatchUpStep::kNext;
      bool handed = false;
      if (!round.pending) {
        // The writer's backlog bounds this reader's writes too (a last round lists what it reads).
        bool backlog = false;
        {
          std::lock_guard lock(mutex_);
          backlog = core_.UnwrittenCount() > options_.max_unwritten;
        }
        if (!backlog) {
          auto result = round.consumer->Poll(0);
          // A log marker is handed in too: the round's position passes it (else a marker at the end of
          // the partition would keep the round from ever catching up with reading).
          const bool read =
              result.kind == platform::PollResult::Kind::kRecord || result.kind == platform::PollResult::Kind::kMarker;
          if (read && result.record.topic == round.catch_up.topic &&
              result.record.partition == round.catch_up.partition) {
            round.pending = std::move(result.record);
          } else if (result.kind == platform::PollResult::Kind::kError) {
            platform::LogWarn("webhooks: catch-up consumer error", {{"error", result.error}});
          }
        }
      }
      bool wake = false;
      const bool ok = Guarded("catch-up", [&] {
        if (round.pending) {
          step = core_.CatchUpRecord(round.catch_up, *round.pending, WallClock::now());
          handed = step == CatchUpStep::kNext;
        } else if (std::chrono::steady_clock::now() - round.idle_since > std::chrono::milliseconds(100)) {
          // Nothing to read for a while: whether it caught up with reading (asked every 100 ms).
          step = core_.CatchUpIdle(round.catch_up, WallClock::now());
          round.idle_since = std::chrono::steady_clock::now();
        }
        wake = WorkForIdle();
      });
      if (wake) work_ready_.notify_one();
      if (!ok) step = CatchUpStep::kWait;  // PostgreSQL: the same step again later
      if (handed) {
        round.pending.reset();
        round.idle_since = std::chrono::steady_clock::now();
        progressed = true;
      }
      if (step == CatchUpStep::kStop) {
        round.consumer->Close(1000);
        it = rounds.erase(it);
        continue;
      }
      ++it;
    }
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(rounds.empty() ? 50 : 2));
  }
  for (auto& round : rounds) round.consumer->Close(1000);
}

void Dispatcher::Housekeep() {
  using Steady = std::chrono::steady_clock;
  auto next_save = Steady::now() + options_.save_every;
  auto next_retry = Steady::now() + options_.retry_every;
  auto next_refresh = Steady::now() + options_.refresh_every;
  while (!stopped_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto now = Steady::now();
    if (now >= next_refresh) {
      if (Guarded("refresh", [&] { core_.RefreshEndpoints(WallClock::now()); })) endpoints_known_ = true;
      next_refresh = now + options_.refresh_every;
    }
    if (now >= next_retry && !draining_) {
      Guarded("retry", [&] { core_.TakeDue(WallClock::now()); });
      work_ready_.notify_all();
      next_retry = now + options_.retry_every;
    }
    if (now >= next_save) {
      Guarded("save", [&] { core_.SaveProgress(); });
      next_save = now + options_.save_every;
    }
  }
}

std::vector<platform::Partition> Dispatcher::Owned(const std::string& topic) {
  std::lock_guard lock(mutex_);
  return core_.Owned(topic);
}

void Dispatcher::Stop(std::chrono::milliseconds grace) {
  if (!started_ || stopped_) return;
  reading_ = false;
  for (auto& poller : pollers_) poller.join();
  draining_ = true;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      if (core_.InFlight() == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopped_ = true;  // the ledger writer stops; what it left is written here
  work_ready_.notify_all();
  writer_.join();
  catch_up_.join();
  Guarded("write", [&] { core_.WriteNow(); });
  Guarded("save", [&] { core_.SaveProgress(); });
  // Leaving the group revokes every partition: the core saves where each resumes.
  for (auto& consumer : consumers_) consumer->Close(5000);
  for (auto& worker : workers_) worker.join();
  housekeeper_.join();
  Guarded("write", [&] { core_.WriteNow(); });  // what attempts finishing late kept
}

std::unique_ptr<Dispatcher> MakeWebhookDispatcher(const platform::ServiceConfig& service, const WebhookConfig& config,
                                                  EndpointRegistry& registry, DeliveryLedger& ledger,
                                                  WebhookSender& sender, platform::MetricsRegistry& metrics) {
  DispatcherOptions options;
  // The notifier has no group of its own otherwise (its WebSocket feed reads every partition).
  const std::string prefix = service.consumer_group.empty() ? "notifier" : service.consumer_group;
  // Deliveries are not a reader waiting on each record: batched fetches cost the broker far less.
  options.kafka = platform::KafkaClientSettings(service.kafka_brokers, service.kafka_properties, "notifier-webhooks",
                                                prefix + ".webhooks", platform::kBatchedFetch);
  options.topics = {service.orders_topic, service.inventory_topic};
  options.policy.retry_schedule = config.retry_schedule;
  options.policy.disable_after = config.disable_after;
  options.policy.queue_per_endpoint = config.queue_per_endpoint;
  options.workers = config.workers;
  return std::make_unique<Dispatcher>(std::move(options), registry, ledger, sender, metrics);
}

}  // namespace orders::notifier::webhooks

#include <orders/projection/rebuild.hpp>

#include <memory>
#include <stdexcept>

#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/kafka_properties.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/projection/batch_applier.hpp>
#include <orders/projection/batch_builder.hpp>
#include <orders/projection/rebuild_plan.hpp>
#include <orders/projection/version_waiters.hpp>

#include "pg/pg_connection.hpp"
#include "pg/pg_read_model_store.hpp"
#include "pg/schema_switch.hpp"

namespace orders::projection {
namespace {

using Clock = std::chrono::steady_clock;

// One topic's replay into the rebuilt schema, with the service's own write path: a store of its
// own (a store serves one caller), an applier, the batch being built and a consumer that reads
// every partition from offset 0 (no group).
struct StreamReplay {
  StreamReplay(const std::string& connection_string, std::string topic_name, Stream stream, VersionWaiters& waiters,
               ProjectionMetrics& metrics)
      : topic(std::move(topic_name)),
        store(connection_string),
        applier(store, waiters, metrics),
        builder(BatchPolicy{}, stream) {}

  std::string topic;
  PgReadModelStore store;
  BatchApplier applier;
  BatchBuilder builder;
  std::unique_ptr<platform::KafkaConsumer> consumer;
  int partitions = 0;
};

class Rebuild {
 public:
  Rebuild(const platform::ServiceConfig& config, const RebuildOptions& options, std::FILE* out)
      : config_(config),
        options_(options),
        out_(out),
        live_(config.read_model_schema),
        rebuilt_(RebuildSchemaName(live_)),
        metrics_(registry_),
        orders_(ReadModelConnectionString(config.database_url, rebuilt_), config.orders_topic, Stream::kOrders,
                waiters_, metrics_),
        inventory_(ReadModelConnectionString(config.database_url, rebuilt_), config.inventory_topic, Stream::kInventory,
                   waiters_, metrics_) {}

  int Run();

 private:
  enum class Switch { kDone, kPostponed };

  void Prepare();
  // `optional`: a topic that does not exist is left out (nothing to replay) instead of failing.
  void Start(StreamReplay& replay, bool optional);
  // Takes what each topic has at hand (blocking briefly when nothing is), and hands batches over.
  void Pump();
  void Pump(StreamReplay& replay);
  void Stop(std::chrono::seconds give_up);
  // Committed and end offsets of both topics together; false when the ends are unknown.
  bool Progress(std::int64_t& applied, std::int64_t& remaining, std::int64_t& end);
  void ReportProgress(std::int64_t applied, std::int64_t end);
  Switch TrySwitch();
  void Say(const std::string& line) {
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }

  const platform::ServiceConfig& config_;
  RebuildOptions options_;
  std::FILE* out_;
  std::string live_;
  std::string rebuilt_;
  platform::MetricsRegistry registry_;
  ProjectionMetrics metrics_;
  VersionWaiters waiters_;
  StreamReplay orders_;                            // ORDERS_TOPIC
  StreamReplay inventory_;                         // INVENTORY_TOPIC
  std::unique_ptr<pqxx::connection> lock_holder_;  // holds the one-rebuild-at-a-time lock
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_report_ = Clock::now();
  std::int64_t last_applied_ = 0;
};

void Rebuild::Start(StreamReplay& replay, bool optional) {
  auto consumer = platform::KafkaConsumer::Create(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties, "projection-rebuild"));
  if (!consumer) throw std::runtime_error("cannot create the kafka consumer: " + consumer.error().message);
  replay.consumer = std::move(*consumer);
  const auto count = replay.consumer->PartitionCount(replay.topic, 10000);
  if (!count && optional) {
    Say("rebuild: topic " + replay.topic + " is not available; nothing of it to replay");
    return;
  }
  if (!count) throw std::runtime_error("topic " + replay.topic + " is not available");
  replay.partitions = *count;
  std::vector<platform::Partition> partitions;
  for (platform::Partition partition = 0; partition < *count; ++partition) partitions.push_back(partition);
  // Before the applier starts, the store is this thread's.
  const auto stored = replay.store.LoadPosition(replay.topic, partitions);
  if (!stored) throw std::runtime_error("cannot read the rebuilt schema's offsets: " + stored.error().message);
  replay.applier.Assign(partitions, *stored);
  replay.applier.Start();
  auto assigned = replay.consumer->AssignAll(
      replay.topic, [](platform::Partition) { return platform::kOffsetBeginning; }, 10000);
  if (!assigned) throw std::runtime_error("cannot read the topic: " + assigned.error().message);
}

void Rebuild::Prepare() {
  if (auto problem = CheckSchemaNameFitsRebuild(live_)) throw std::runtime_error(*problem);
  lock_holder_ = std::make_unique<pqxx::connection>(ReadModelConnectionString(config_.database_url, "public"));
  if (!TryLockRebuild(*lock_holder_, live_)) throw std::runtime_error("another rebuild of " + live_ + " is running");
  CreateFreshSchema(*lock_holder_, rebuilt_);
  Start(orders_, false);
  Start(inventory_, true);
  Say("rebuild: replaying " + orders_.topic + " (" + std::to_string(orders_.partitions) + " partitions) and " +
      inventory_.topic + " (" + std::to_string(inventory_.partitions) + " partitions) into schema " + rebuilt_ + "; " +
      live_ + " keeps serving meanwhile");
}

void Rebuild::Pump(StreamReplay& replay) {
  if (replay.partitions == 0) return;
  // Everything fetched, without waiting, then at most a short wait: the other topic is next.
  for (int polls = 0; polls < 10000; ++polls) {
    const auto timeout = std::min(replay.builder.PollTimeout(replay.applier), std::chrono::milliseconds(5));
    auto result = replay.consumer->Poll(static_cast<int>(timeout.count()));
    const bool record =
        result.kind == platform::PollResult::Kind::kRecord || result.kind == platform::PollResult::Kind::kMarker;
    if (record) replay.builder.Add(std::move(result.record));
    if (result.kind == platform::PollResult::Kind::kTimeout) replay.builder.Drained();
    if (result.kind == platform::PollResult::Kind::kError) {
      platform::LogWarn("kafka consumer error", {{"topic", replay.topic}, {"error", result.error}});
    }
    replay.builder.HandOff(replay.applier);
    if (replay.applier.Halted()) {
      throw std::runtime_error("the rebuilt schema " + rebuilt_ + " was written by someone else");
    }
    if (!record) return;
  }
}

void Rebuild::Pump() {
  Pump(orders_);
  Pump(inventory_);
}

void Rebuild::Stop(std::chrono::seconds give_up) {
  for (auto* replay : {&orders_, &inventory_}) {
    replay->applier.Stop(Clock::now() + give_up);
    if (replay->consumer) replay->consumer->Close(5000);
  }
}

bool Rebuild::Progress(std::int64_t& applied, std::int64_t& remaining, std::int64_t& end) {
  applied = remaining = end = 0;
  for (auto* replay : {&orders_, &inventory_}) {
    if (replay->partitions == 0) continue;
    const auto ends = replay->consumer->EndOffsets(replay->topic, 5000);
    if (!ends) return false;
    const auto committed = replay->applier.Committed();
    applied += Total(committed);
    remaining += Remaining(committed, *ends);
    end += Total(*ends);
  }
  return true;
}

void Rebuild::ReportProgress(std::int64_t applied, std::int64_t end) {
  const auto now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - last_report_).count();
  Say(ProgressLine(applied, end, seconds > 0 ? static_cast<double>(applied - last_applied_) / seconds : 0));
  last_report_ = now;
  last_applied_ = applied;
}

Rebuild::Switch Rebuild::TrySwitch() {
  const std::string retired = RetiredSchemaName(live_, std::chrono::system_clock::now());
  try {
    SchemaSwitch change(ReadModelConnectionString(config_.database_url, "public"), live_, rebuilt_,
                        {orders_.topic, inventory_.topic}, options_.lock_timeout);
    // The live tables are frozen now; catch up with them so that readers never see the model go back.
    const auto locked_at = Clock::now();
    const auto caught_up = [&] {
      return Reached(orders_.applier.Committed(), change.live_offsets(orders_.topic)) &&
             (inventory_.partitions == 0 ||
              Reached(inventory_.applier.Committed(), change.live_offsets(inventory_.topic)));
    };
    while (!caught_up()) {
      if (Clock::now() - locked_at > options_.catch_up_limit) {
        Say("rebuild: switch postponed: catching up with " + live_ + " took too long; trying again");
        return Switch::kPostponed;
      }
      Pump();
    }
    // Nothing of ours in flight across the rename.
    orders_.applier.Drain(Clock::now() + options_.catch_up_limit);
    inventory_.applier.Drain(Clock::now() + options_.catch_up_limit);
    change.Commit(retired);
    const double locked_ms = std::chrono::duration<double, std::milli>(Clock::now() - locked_at).count();
    Say("rebuild: switched in " + std::to_string(static_cast<long>(locked_ms)) + " ms: " + live_ +
        " now holds the rebuilt read model (" +
        Grouped(Total(orders_.applier.Committed()) + Total(inventory_.applier.Committed())) +
        " records); the previous tables" +
        (change.live_exists()
             ? " are in schema " + retired + "; drop them with: DROP SCHEMA \"" + retired + "\" CASCADE;"
             : ": none"));
    return Switch::kDone;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() != "55P03") throw;
    Say("rebuild: switch postponed: " + live_ + " stayed busy for " + std::to_string(options_.lock_timeout.count()) +
        " ms; trying again");
    return Switch::kPostponed;
  }
}

int Rebuild::Run() {
  try {
    Prepare();
    auto next_report = Clock::now();
    auto next_switch = Clock::now();
    while (true) {
      Pump();
      const auto now = Clock::now();
      if (now < next_report) continue;
      next_report = now + options_.progress_every;
      std::int64_t applied = 0, remaining = 0, end = 0;
      if (!Progress(applied, remaining, end)) continue;
      ReportProgress(applied, end);
      if (now < next_switch || remaining > options_.switch_when_behind) continue;
      if (TrySwitch() == Switch::kDone) break;
      next_switch = Clock::now() + std::chrono::seconds(1);
    }
    Stop(std::chrono::seconds(5));
    Say("rebuild: done in " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count()) + " s");
    return 0;
  } catch (const std::exception& e) {
    Say(std::string("rebuild failed: ") + e.what() + " (" + live_ + " is untouched)");
    for (auto* replay : {&orders_, &inventory_}) replay->applier.Stop(Clock::now() + std::chrono::seconds(2));
    return 1;
  }
}

}  // namespace

int RunRebuild(const platform::ServiceConfig& config, const RebuildOptions& options, std::FILE* out) {
  Rebuild rebuild(config, options, out);
  return rebuild.Run();
}

}  // namespace orders::projection

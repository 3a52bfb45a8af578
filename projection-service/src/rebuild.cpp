#include <orders/projection/rebuild.hpp>

#include <memory>
#include <stdexcept>

#include <orders/platform/kafka_consumer.hpp>
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

class Rebuild {
 public:
  Rebuild(const platform::ServiceConfig& config, const RebuildOptions& options, std::FILE* out)
      : config_(config),
        options_(options),
        out_(out),
        live_(config.read_model_schema),
        rebuilt_(RebuildSchemaName(live_)),
        metrics_(registry_),
        store_(ReadModelConnectionString(config.database_url, rebuilt_)),
        applier_(store_, waiters_, metrics_),
        builder_(BatchPolicy{}) {}

  int Run();

 private:
  enum class Switch { kDone, kPostponed };

  void Prepare();
  void Pump();
  void ReportProgress(const StoredOffsets& ends);
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
  PgReadModelStore store_;  // the rebuilt schema's
  BatchApplier applier_;
  BatchBuilder builder_;
  std::unique_ptr<pqxx::connection> lock_holder_;  // holds the one-rebuild-at-a-time lock
  std::unique_ptr<platform::KafkaConsumer> consumer_;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_report_ = Clock::now();
  std::int64_t last_applied_ = 0;
};

void Rebuild::Prepare() {
  if (auto problem = CheckSchemaNameFitsRebuild(live_)) throw std::runtime_error(*problem);
  lock_holder_ = std::make_unique<pqxx::connection>(ReadModelConnectionString(config_.database_url, "public"));
  if (!TryLockRebuild(*lock_holder_, live_)) throw std::runtime_error("another rebuild of " + live_ + " is running");
  CreateFreshSchema(*lock_holder_, rebuilt_);

  auto consumer = platform::KafkaConsumer::Create({config_.kafka_brokers, "projection-rebuild", "", {}});
  if (!consumer) throw std::runtime_error("cannot create the kafka consumer: " + consumer.error().message);
  consumer_ = std::move(*consumer);
  const auto count = consumer_->PartitionCount(config_.orders_topic, 10000);
  if (!count) throw std::runtime_error("topic " + config_.orders_topic + " is not available");
  std::vector<platform::Partition> partitions;
  for (platform::Partition partition = 0; partition < *count; ++partition) partitions.push_back(partition);
  // Before the applier starts, the store is this thread's.
  const auto stored = store_.LoadPosition(config_.orders_topic, partitions);
  if (!stored) throw std::runtime_error("cannot read the rebuilt schema's offsets: " + stored.error().message);
  applier_.Assign(partitions, *stored);
  applier_.Start();
  auto assigned = consumer_->AssignAll(
      config_.orders_topic, [](platform::Partition) { return platform::kOffsetBeginning; }, 10000);
  if (!assigned) throw std::runtime_error("cannot read the topic: " + assigned.error().message);
  Say("rebuild: replaying " + config_.orders_topic + " (" + std::to_string(*count) + " partitions) into schema " +
      rebuilt_ + "; " + live_ + " keeps serving meanwhile");
}

void Rebuild::Pump() {
  auto result = consumer_->Poll(static_cast<int>(builder_.PollTimeout(applier_).count()));
  if (result.kind == platform::PollResult::Kind::kRecord) builder_.Add(std::move(result.record));
  if (result.kind == platform::PollResult::Kind::kTimeout) builder_.Drained();
  if (result.kind == platform::PollResult::Kind::kError) {
    platform::LogWarn("kafka consumer error", {{"error", result.error}});
  }
  builder_.HandOff(applier_);
  if (applier_.Halted()) throw std::runtime_error("the rebuilt schema " + rebuilt_ + " was written by someone else");
}

void Rebuild::ReportProgress(const StoredOffsets& ends) {
  const auto now = Clock::now();
  const std::int64_t applied = Total(applier_.Committed());
  const double seconds = std::chrono::duration<double>(now - last_report_).count();
  Say(ProgressLine(applied, Total(ends), seconds > 0 ? static_cast<double>(applied - last_applied_) / seconds : 0));
  last_report_ = now;
  last_applied_ = applied;
}

Rebuild::Switch Rebuild::TrySwitch() {
  const std::string retired = RetiredSchemaName(live_, std::chrono::system_clock::now());
  try {
    SchemaSwitch change(ReadModelConnectionString(config_.database_url, "public"), live_, rebuilt_,
                        config_.orders_topic, options_.lock_timeout);
    // The live tables are frozen now; catch up with them so that readers never see the model go back.
    const auto locked_at = Clock::now();
    while (!Reached(applier_.Committed(), change.live_offsets())) {
      if (Clock::now() - locked_at > options_.catch_up_limit) {
        Say("rebuild: switch postponed: catching up with " + live_ + " took too long; trying again");
        return Switch::kPostponed;
      }
      Pump();
    }
    applier_.Drain(Clock::now() + options_.catch_up_limit);  // nothing of ours in flight across the rename
    change.Commit(retired);
    const double locked_ms = std::chrono::duration<double, std::milli>(Clock::now() - locked_at).count();
    Say("rebuild: switched in " + std::to_string(static_cast<long>(locked_ms)) + " ms: " + live_ +
        " now holds the rebuilt read model (" + Grouped(Total(applier_.Committed())) +
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
      const auto ends = consumer_->EndOffsets(config_.orders_topic, 5000);
      if (!ends) continue;
      ReportProgress(*ends);
      if (now < next_switch || Remaining(applier_.Committed(), *ends) > options_.switch_when_behind) continue;
      if (TrySwitch() == Switch::kDone) break;
      next_switch = Clock::now() + std::chrono::seconds(1);
    }
    applier_.Stop(Clock::now() + std::chrono::seconds(5));
    consumer_->Close(5000);
    Say("rebuild: done in " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count()) + " s");
    return 0;
  } catch (const std::exception& e) {
    Say(std::string("rebuild failed: ") + e.what() + " (" + live_ + " is untouched)");
    applier_.Stop(Clock::now() + std::chrono::seconds(2));
    return 1;
  }
}

}  // namespace

int RunRebuild(const platform::ServiceConfig& config, const RebuildOptions& options, std::FILE* out) {
  Rebuild rebuild(config, options, out);
  return rebuild.Run();
}

}  // namespace orders::projection

#include "platform_fixture.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <orders/invariants/sources.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/topic_reader.hpp>
#include <pqxx/pqxx>

namespace orders::testing {

void PlatformUnderLoad::SetUp() {
  ORDERS_REQUIRE_KAFKA();
  ORDERS_REQUIRE_POSTGRES();
  topic_ = UniqueName("fault");
  ASSERT_EQ(CreateTopic(topic_, 6, replication_factor_), "");
  inventory_topic_ = UniqueName("fault-inventory");
  ASSERT_EQ(CreateTopic(inventory_topic_, 6, replication_factor_), "");
  check_options_.inventory_topic = inventory_topic_;
  schema_ = UniqueName("fault");
  std::replace(schema_.begin(), schema_.end(), '-', '_');
  command_group_ = UniqueName("fault-command");
  projection_group_ = UniqueName("fault-projection");
  if (brokers_.empty()) brokers_ = KafkaBrokers();
  if (database_url_.empty()) database_url_ = DatabaseUrl();
  if (check_database_url_.empty()) check_database_url_ = database_url_;
  StartService(command_, CommandServiceBinary(), CommandEnvironment());
  StartService(projection_, ProjectionServiceBinary(), ProjectionEnvironment());
  StartService(notifier_, NotifierBinary(), NotifierEnvironment());
}

void PlatformUnderLoad::TearDown() {
  if (load_) load_->Stop();
  if (by_id_) by_id_->Stop();
  if (by_customer_) by_customer_->Stop();
  for (auto* service : {&command_, &projection_, &notifier_}) {
    if (*service) (*service)->Stop();
  }
  try {
    pqxx::connection connection(check_database_url_);
    pqxx::work tx(connection);
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
    tx.commit();
  } catch (const std::exception&) {
    // The database may be the thing a scenario broke; a leftover schema is harmless.
  }
}

std::map<std::string, std::string> PlatformUnderLoad::CommandEnvironment() const {
  std::map<std::string, std::string> environment = {{"KAFKA_BROKERS", brokers_},
                                                    {"ORDERS_TOPIC", topic_},
                                                    {"INVENTORY_TOPIC", inventory_topic_},
                                                    {"CONSUMER_GROUP", command_group_}};
  if (!command_state_dir_.empty()) environment["COMMAND_STATE_DIR"] = command_state_dir_;
  return command_replays_log_ ? WithoutStateStore(std::move(environment)) : environment;
}

std::map<std::string, std::string> PlatformUnderLoad::ProjectionEnvironment() const {
  return {{"KAFKA_BROKERS", brokers_},     {"ORDERS_TOPIC", topic_},       {"INVENTORY_TOPIC", inventory_topic_},
          {"DATABASE_URL", database_url_}, {"READ_MODEL_SCHEMA", schema_}, {"CONSUMER_GROUP", projection_group_}};
}

std::map<std::string, std::string> PlatformUnderLoad::NotifierEnvironment() const {
  return {{"KAFKA_BROKERS", brokers_}, {"ORDERS_TOPIC", topic_}, {"INVENTORY_TOPIC", inventory_topic_}};
}

void PlatformUnderLoad::StartService(std::unique_ptr<ServiceProcess>& service, const std::string& binary,
                                     const std::map<std::string, std::string>& environment) {
  if (!service) service = std::make_unique<ServiceProcess>(binary, environment);
  ASSERT_TRUE(service->Start()) << service->LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; },
                         std::chrono::seconds(60)))
      << service->LogText();
}

void PlatformUnderLoad::StartLoad() {
  load_ = std::make_unique<LoadDriver>(
      [this, turn = 0u]() mutable {
        if (const std::uint16_t balancer = balancer_port_.load(); balancer != 0) return balancer;
        const std::uint16_t second = second_command_port_.load();
        if (second != 0 && ++turn % 2 == 0) return second;
        return command_->port();
      },
      load_options_);
  ASSERT_TRUE(load_->Start()) << "could not place the long-lived orders";
  const auto notifier_port = [this] { return notifier_ ? notifier_->port() : std::uint16_t{0}; };
  by_id_ = std::make_unique<RecordingSubscriber>("by-id", notifier_port, load_->SlowOrders());
  by_customer_ = std::make_unique<RecordingSubscriber>("by-customer", notifier_port, std::vector<std::string>{},
                                                       load_options_.customer_id);
  by_id_->Start();
  by_customer_->Start();
}

bool PlatformUnderLoad::RunUntil(const std::function<bool()>& condition, const std::string& what,
                                 std::chrono::seconds ceiling) {
  const bool held = Eventually(condition, ceiling, std::chrono::milliseconds(20));
  EXPECT_TRUE(held) << "not within " << ceiling.count() << " s: " << what;
  return held;
}

bool PlatformUnderLoad::RunUntilAcknowledged(std::int64_t count, std::chrono::seconds ceiling) {
  const auto target = load_->acknowledged() + count;
  return RunUntil(
      [&] { return load_->acknowledged() >= target; },
      std::to_string(count) + " more acknowledged commands (at " + std::to_string(load_->acknowledged()) + ")",
      ceiling);
}

void PlatformUnderLoad::ExpectWorkResumesAfter(Clock::time_point recovered_at, std::int64_t count) {
  RunUntil([&] { return load_->stats().AcknowledgedSince(recovered_at) >= count; },
           "work resumes: " + std::to_string(count) + " commands sent after the recovery acknowledged");
  const auto stats = load_->stats();
  const auto first = stats.FirstAcknowledgedSince(recovered_at);
  std::printf("recovery: %lld commands acknowledged after it, the first %.0f ms after the service was back\n",
              static_cast<long long>(stats.AcknowledgedSince(recovered_at)),
              first ? std::chrono::duration<double, std::milli>(*first - recovered_at).count() : -1.0);
}

void PlatformUnderLoad::ExpectCommandsNeverUnavailable() {
  const auto stats = load_->stats();
  EXPECT_EQ(stats.unavailable, 0) << "the fault did not concern the command service, yet it refused or went silent";
}

void PlatformUnderLoad::ExpectBoundedUnavailability(std::chrono::seconds limit) {
  const auto stats = load_->stats();
  EXPECT_GT(stats.unavailable, 0) << "the load never saw the fault";
  const double window_s = std::chrono::duration<double>(stats.LastUnavailable() - stats.FirstUnavailable()).count();
  std::printf("unavailable window: %.1f s (%lld answers 503 or none)\n", window_s,
              static_cast<long long>(stats.unavailable));
  EXPECT_LE(window_s, static_cast<double>(limit.count())) << "commands stayed unavailable too long";
}

bool PlatformUnderLoad::ProjectionProgresses(std::int64_t events, std::chrono::seconds ceiling) {
  const auto start = std::max<std::int64_t>(StoredOffsets(), 0);
  return RunUntil(
      [&] { return StoredOffsets() >= start + events; },
      "the projection stores " + std::to_string(events) + " more offsets (from " + std::to_string(start) + ")",
      ceiling);
}

int PlatformUnderLoad::OwnedPartitions(std::uint16_t port) {
  const auto metrics = HttpRequest(port, "GET", "/metrics").body;
  const std::string name = "\norders_command_owned_partitions ";
  const auto at = metrics.find(name);
  return at == std::string::npos ? -1 : std::atoi(metrics.c_str() + at + name.size());
}

std::int64_t PlatformUnderLoad::StoredOffsets() {
  try {
    pqxx::connection connection(check_database_url_);
    pqxx::work tx(connection);
    return tx
        .exec1("SELECT coalesce(sum(next_offset), 0) FROM " + tx.quote_name(schema_) +
               ".consumer_offsets WHERE topic = " + tx.quote(topic_))[0]
        .as<std::int64_t>();
  } catch (const std::exception&) {
    return -1;
  }
}

bool PlatformUnderLoad::Settled(const invariants::Fold& fold) {
  if (StoredOffsets() != TotalEndOffset(topic_)) return false;
  for (auto* subscriber : {by_id_.get(), by_customer_.get()}) {
    const auto last = subscriber->LastVersions();
    const auto log = subscriber->Log();
    for (const auto& id : invariants::ExpectedOrders(fold, log)) {
      const auto order = fold.orders.find(id);
      const auto seen = last.find(id);
      if (order != fold.orders.end() && (seen == last.end() || seen->second != order->second.version)) return false;
    }
  }
  return true;
}

bool PlatformUnderLoad::WorkflowFinished(const std::vector<invariants::LogRecord>& log) {
  if (!check_options_.workflow) return true;
  invariants::Report ignored;
  const auto stock = invariants::CheckStockLog(invariants::ReadStockLog(inventory_topic_), ignored);
  return invariants::WorkflowStepsUnderWay(log, &stock) == 0;
}

void PlatformUnderLoad::FinishAndCheck(std::chrono::seconds settle_timeout) {
  // The load ends only once the long-lived orders have moved under the eyes
  // of their subscriber (the checker demands updates, not just snapshots).
  RunUntil(
      [&] {
        for (const auto& message : by_id_->Log().messages) {
          if (message.value("type", "") == "update") return true;
        }
        return false;
      },
      "the by-id subscriber receives an update");
  load_->Stop();
  const auto stats = load_->stats();
  std::printf(
      "load: %lld sent, %lld acknowledged, %lld unavailable (503 or no answer; 503 answered in median "
      "%.1f ms, slowest %.0f ms), %lld conflicts, %lld other\n",
      static_cast<long long>(stats.sent), static_cast<long long>(stats.acknowledged),
      static_cast<long long>(stats.unavailable), stats.Median503Ms(), stats.Slowest503Ms(),
      static_cast<long long>(stats.conflicts), static_cast<long long>(stats.other));
  std::printf("load: %lld no answer (%lld re-read), %lld POSTs not created, %lld conflicts without an unclear answer\n",
              static_cast<long long>(stats.unclear), static_cast<long long>(stats.resynced),
              static_cast<long long>(stats.post_not_created), static_cast<long long>(stats.conflicts_without_unclear));
  EXPECT_EQ(stats.other, 0) << "every answer to a PUT is 200, 409/412 (after an unclear answer), or 503";
  EXPECT_EQ(stats.post_not_created, 0) << "every POST is answered 201, or 503 / nothing during a fault";
  EXPECT_EQ(stats.conflicts_without_unclear, 0) << "a 409/412 can only follow an unclear answer";
  EXPECT_GT(stats.acknowledged, 50) << "the scenario must carry real load";

  invariants::Report scratch;
  invariants::Fold fold;
  const bool settled = Eventually(
      [&] {
        scratch = {};
        const auto log = invariants::ReadLog(topic_);
        fold = invariants::CheckLog(log, scratch);
        return Settled(fold) && WorkflowFinished(log);
      },
      settle_timeout, std::chrono::milliseconds(100));
  EXPECT_TRUE(settled)
      << "the projection or a subscriber did not catch up with the log (or the workflow did not finish) within "
      << settle_timeout.count() << " s (stored offsets " << StoredOffsets() << " of " << TotalEndOffset(topic_) << ")";
  by_id_->Stop();
  by_customer_->Stop();
  auto by_id = by_id_->Log();
  by_id.allow_resync = by_id_may_resync_;
  const auto report = invariants::CheckEverything(topic_, check_database_url_, schema_, load_->Acknowledged(),
                                                  {by_id, by_customer_->Log()}, check_options_);
  std::printf("%s\nsubscriber reconnects: by-id %d, by-customer %d\n", report.Summary().c_str(), by_id_->reconnects(),
              by_customer_->reconnects());
  EXPECT_TRUE(report.ok()) << report.Summary();
  if (!report.ok() || HasFailure()) KeepArtifacts(report);
}

void PlatformUnderLoad::KeepArtifacts(const invariants::Report& report) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(ORDERS_ARTIFACT_DIR) / "fault" / info->name();
  std::filesystem::create_directories(dir);
  invariants::WriteAcknowledged(dir / "acknowledged.jsonl", load_->Acknowledged());
  invariants::WriteSubscriberLog(dir / "by-id.jsonl", by_id_->Log());
  invariants::WriteSubscriberLog(dir / "by-customer.jsonl", by_customer_->Log());
  std::ofstream(dir / "report.txt") << report.Summary() << "\n";
  for (auto [name, service] : {std::pair{"command", command_.get()}, std::pair{"projection", projection_.get()},
                               std::pair{"notifier", notifier_.get()}}) {
    if (service) std::ofstream(dir / (std::string(name) + ".log")) << service->LogText();
  }
  std::printf("recordings kept in %s (topics %s and %s, schema %s)\n", dir.c_str(), topic_.c_str(),
              inventory_topic_.c_str(), schema_.c_str());
}

}  // namespace orders::testing

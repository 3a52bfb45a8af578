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
  ASSERT_EQ(CreateTopic(topic_, 6), "");
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
  return {{"KAFKA_BROKERS", brokers_}, {"ORDERS_TOPIC", topic_}, {"CONSUMER_GROUP", command_group_}};
}

std::map<std::string, std::string> PlatformUnderLoad::ProjectionEnvironment() const {
  return {{"KAFKA_BROKERS", brokers_},
          {"ORDERS_TOPIC", topic_},
          {"DATABASE_URL", database_url_},
          {"READ_MODEL_SCHEMA", schema_},
          {"CONSUMER_GROUP", projection_group_}};
}

std::map<std::string, std::string> PlatformUnderLoad::NotifierEnvironment() const {
  return {{"KAFKA_BROKERS", brokers_}, {"ORDERS_TOPIC", topic_}};
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

void PlatformUnderLoad::RunFor(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

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
    for (const auto& id : log.followed) {
      const auto order = fold.orders.find(id);
      const auto seen = last.find(id);
      if (order != fold.orders.end() && (seen == last.end() || seen->second != order->second.version)) return false;
    }
  }
  return true;
}

void PlatformUnderLoad::FinishAndCheck(std::chrono::seconds settle_timeout) {
  load_->Stop();
  const auto stats = load_->stats();
  std::printf(
      "load: %lld sent, %lld acknowledged, %lld unavailable (503 or no answer; 503 answered in median "
      "%.1f ms, slowest %.0f ms), %lld conflicts, %lld other\n",
      static_cast<long long>(stats.sent), static_cast<long long>(stats.acknowledged),
      static_cast<long long>(stats.unavailable), stats.Median503Ms(), stats.Slowest503Ms(),
      static_cast<long long>(stats.conflicts), static_cast<long long>(stats.other));
  EXPECT_EQ(stats.other, 0) << "every answer is 2xx, 409/412 (after an unclear answer), or 503";
  EXPECT_GT(stats.acknowledged, 50) << "the scenario must carry real load";

  invariants::Report scratch;
  invariants::Fold fold;
  const bool settled = Eventually(
      [&] {
        scratch = {};
        fold = invariants::CheckLog(invariants::ReadLog(topic_), scratch);
        return Settled(fold);
      },
      settle_timeout, std::chrono::milliseconds(250));
  EXPECT_TRUE(settled) << "the projection or a subscriber did not catch up with the log within "
                       << settle_timeout.count() << " s (stored offsets " << StoredOffsets() << " of "
                       << TotalEndOffset(topic_) << ")";
  by_id_->Stop();
  by_customer_->Stop();
  const auto report = invariants::CheckEverything(topic_, check_database_url_, schema_, load_->Acknowledged(),
                                                  {by_id_->Log(), by_customer_->Log()});
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
  std::printf("recordings kept in %s (topic %s, schema %s)\n", dir.c_str(), topic_.c_str(), schema_.c_str());
}

}  // namespace orders::testing

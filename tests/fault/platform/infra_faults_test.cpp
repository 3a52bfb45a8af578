// Fault scenarios on the infrastructure under load, each ending with the
// invariant checker: the broker killed, the database crashed, and the network
// to either cut. They use a private broker or database (or a proxy in front
// of the shared database), never the shared stack other tests run against.
#include <cstdlib>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/loopback.hpp>
#include <orders/testing/private_kafka.hpp>
#include <orders/testing/private_postgres.hpp>
#include <orders/testing/tcp_proxy.hpp>
#include <orders/testing/test_env.hpp>

#include "platform_fixture.hpp"

namespace orders::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A private broker whose clients all connect through a proxy the test can cut.
class PlatformOnPrivateBroker : public PlatformUnderLoad {
 protected:
  void SetUp() override {
    const std::uint16_t broker_port = FreePort();
    proxy_ = std::make_unique<TcpProxy>(broker_port);
    std::string error;
    kafka_ = PrivateKafka::Create(error, broker_port, proxy_->port());
    ASSERT_TRUE(kafka_) << error;
    saved_brokers_ = KafkaBrokers();
    ::setenv("KAFKA_BROKERS", kafka_->Brokers().c_str(), 1);  // topic creation and the checker
    brokers_ = kafka_->Brokers();
    PlatformUnderLoad::SetUp();
  }
  void TearDown() override {
    PlatformUnderLoad::TearDown();
    ::setenv("KAFKA_BROKERS", saved_brokers_.c_str(), 1);
  }
  // How fast the command service says "not ready" once the broker is gone.
  void ExpectCommandServiceNotReadyWithin(seconds limit) {
    EXPECT_TRUE(Eventually([&] { return HttpRequest(command_->port(), "GET", "/readyz").status == 503; }, limit))
        << "the command service still says ready";
  }

  // While the broker is away, new commands are refused (the service knows it
  // is not ready) rather than left waiting for the broker; only those already
  // waiting take up to the answer deadline (3 s). The figures are printed; the
  // bound is a generous liveness bound (speed belongs to the benchmarks).
  void ExpectRefusalsDoNotWaitForTheBroker() {
    const auto stats = load_->stats();
    EXPECT_GE(stats.unavailable_ms.size(), 10u) << "the outage must have been seen by the load";
    std::printf("503s during the outage: median %.1f ms, slowest %.0f ms\n", stats.Median503Ms(), stats.Slowest503Ms());
    EXPECT_LT(stats.Median503Ms(), 1000) << "most refusals must not wait for the broker";
  }

  // Runs the load until it has seen `count` more commands refused or unanswered.
  bool RunUntilRefused(std::int64_t count) {
    const auto target = load_->stats().unavailable + count;
    return RunUntil([&] { return load_->stats().unavailable >= target; },
                    std::to_string(count) + " commands refused during the outage");
  }

  bool WaitCommandServiceReady() {
    return RunUntil([&] { return HttpRequest(command_->port(), "GET", "/readyz").status == 200; },
                    "the command service is ready again");
  }

  std::unique_ptr<TcpProxy> proxy_;
  std::unique_ptr<PrivateKafka> kafka_;
  std::string saved_brokers_;
};

TEST_F(PlatformOnPrivateBroker, BrokerKilledAndRestartedLosesNoAcknowledgedCommand) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(100));
  kafka_->Kill();
  ExpectCommandServiceNotReadyWithin(seconds(10));
  ASSERT_TRUE(RunUntilRefused(20));
  std::string error;
  ASSERT_TRUE(kafka_->Start(error)) << error;
  ASSERT_TRUE(WaitCommandServiceReady()) << command_->LogText();
  ExpectWorkResumesAfter(Clock::now());
  FinishAndCheck(seconds(90));
  ExpectRefusalsDoNotWaitForTheBroker();
  ExpectBoundedUnavailability(seconds(90));
}

TEST_F(PlatformOnPrivateBroker, NetworkCutToTheBrokerGives503sThenRecovers) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(100));
  proxy_->Cut();
  ExpectCommandServiceNotReadyWithin(seconds(10));
  ASSERT_TRUE(RunUntilRefused(20));
  proxy_->Restore();
  ASSERT_TRUE(WaitCommandServiceReady()) << command_->LogText();
  ExpectWorkResumesAfter(Clock::now());
  FinishAndCheck(seconds(90));
  ExpectRefusalsDoNotWaitForTheBroker();
  ExpectBoundedUnavailability(seconds(90));
}

// The projection reaches the shared database through a proxy the test cuts.
class PlatformWithCuttableDatabase : public PlatformUnderLoad {
 protected:
  void SetUp() override {
    const std::string url = DatabaseUrl();  // postgresql://user@127.0.0.1:PORT/db
    const auto colon = url.rfind(':');
    const auto slash = url.find('/', colon);
    proxy_ =
        std::make_unique<TcpProxy>(static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1, slash - colon - 1))));
    database_url_ = url.substr(0, colon + 1) + std::to_string(proxy_->port()) + url.substr(slash);
    check_database_url_ = url;
    PlatformUnderLoad::SetUp();
  }
  std::unique_ptr<TcpProxy> proxy_;
};

TEST_F(PlatformWithCuttableDatabase, NetworkCutToTheDatabaseMakesTheProjectionNotReadyThenItResumesExactly) {
  StartLoad();
  ASSERT_TRUE(ProjectionProgresses(50));
  proxy_->Cut();
  EXPECT_TRUE(Eventually([&] { return HttpRequest(projection_->port(), "GET", "/readyz").status == 503; }, seconds(15)))
      << "the projection still says ready";
  const auto stored_during_cut = StoredOffsets();
  ASSERT_TRUE(RunUntilAcknowledged(50));  // events the projection must apply once it is back
  proxy_->Restore();
  ASSERT_TRUE(RunUntil([&] { return HttpRequest(projection_->port(), "GET", "/readyz").status == 200; },
                       "the projection is ready again"))
      << projection_->LogText();
  ASSERT_TRUE(RunUntil([&] { return StoredOffsets() > stored_during_cut; }, "the projection applies again"));
  ASSERT_TRUE(ProjectionProgresses(50)) << projection_->LogText();
  FinishAndCheck(seconds(90));
  ExpectCommandsNeverUnavailable();
}

// The projection on a private database that crashes (SIGKILL of every server
// process) and comes back.
class PlatformOnPrivateDatabase : public PlatformUnderLoad {
 protected:
  void SetUp() override {
    std::string error;
    postgres_ = PrivatePostgres::Create(error);
    ASSERT_TRUE(postgres_) << error;
    database_url_ = postgres_->Url();
    PlatformUnderLoad::SetUp();
  }
  std::unique_ptr<PrivatePostgres> postgres_;
};

TEST_F(PlatformOnPrivateDatabase, DatabaseCrashedAndRestartedLosesAndDuplicatesNothing) {
  StartLoad();
  ASSERT_TRUE(ProjectionProgresses(50));
  postgres_->Kill();
  EXPECT_TRUE(Eventually([&] { return HttpRequest(projection_->port(), "GET", "/readyz").status == 503; }, seconds(15)))
      << "the projection still says ready";
  ASSERT_TRUE(RunUntilAcknowledged(50));  // events the projection must apply once the database is back
  std::string error;
  ASSERT_TRUE(postgres_->Start(error)) << error;
  ASSERT_TRUE(RunUntil([&] { return HttpRequest(projection_->port(), "GET", "/readyz").status == 200; },
                       "the projection is ready again"))
      << projection_->LogText();
  ASSERT_TRUE(ProjectionProgresses(50)) << projection_->LogText();
  FinishAndCheck(seconds(90));
  ExpectCommandsNeverUnavailable();
}

}  // namespace
}  // namespace orders::testing

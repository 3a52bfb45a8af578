#pragma once
// The whole platform under load, for fault scenarios: the three services on
// fresh topics (orders and inventory), read-model schema and consumer groups
// of the real Kafka and PostgreSQL; a LoadDriver sending commands; two RecordingSubscribers (one
// following the long-lived orders by id with resume, one following the
// customer). A scenario injects its fault between StartLoad() and
// FinishAndCheck(), which stops the load, waits until the projection and the
// subscribers have caught up with the log (and, for a workflow scenario,
// until the workflow has finished every order), and runs the invariant checker.
// On failure the recordings are kept under build/artifacts/fault/<test>/.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include <orders/invariants/checker.hpp>
#include <orders/invariants/sources.hpp>
#include <orders/testing/service_process.hpp>

#include "load_driver.hpp"
#include "recording_subscriber.hpp"

namespace orders::testing {

class PlatformUnderLoad : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Environment of each service; a scenario may add to it before SetUp.
  std::map<std::string, std::string> CommandEnvironment() const;
  std::map<std::string, std::string> ProjectionEnvironment() const;
  std::map<std::string, std::string> NotifierEnvironment() const;

  void StartService(std::unique_ptr<ServiceProcess>& service, const std::string& binary,
                    const std::map<std::string, std::string>& environment);
  void StartLoad();
  using Clock = LoadDriver::Clock;
  // Lets the load run until `condition` holds; fails the test (and returns
  // false) when it does not within `ceiling`.
  bool RunUntil(const std::function<bool()>& condition, const std::string& what,
                std::chrono::seconds ceiling = std::chrono::seconds(60));
  // Lets the load run until it has acknowledged `count` more commands.
  bool RunUntilAcknowledged(std::int64_t count, std::chrono::seconds ceiling = std::chrono::seconds(60));
  // Work resumed: at least `count` commands sent after `recovered_at` are
  // acknowledged (a service that is "ready" again but refuses everything
  // fails here). Prints how long the first acknowledgement took.
  void ExpectWorkResumesAfter(Clock::time_point recovered_at, std::int64_t count = 50);
  // The fault did not concern the command service: it never refused nor went silent.
  void ExpectCommandsNeverUnavailable();
  // The fault made commands unavailable (503 or no answer) for a while, at
  // most `limit` from the first such answer to the last.
  void ExpectBoundedUnavailability(std::chrono::seconds limit);
  // The projection's stored offsets (sum over partitions), -1 when unreadable.
  std::int64_t StoredOffsets();
  // Waits until the projection has stored `events` more offsets than now.
  bool ProjectionProgresses(std::int64_t events, std::chrono::seconds ceiling = std::chrono::seconds(60));
  // orders_command_owned_partitions of the command service at `port` (-1: unknown).
  static int OwnedPartitions(std::uint16_t port);
  // Stops the load, waits for the platform to settle, checks every invariant.
  void FinishAndCheck(std::chrono::seconds settle_timeout = std::chrono::seconds(60));

  std::string topic_, inventory_topic_, schema_, command_group_, projection_group_;
  // Set by a scenario before SetUp: the command service keeps its state store there (COMMAND_STATE_DIR;
  // empty: a directory of its ServiceProcess's own, see service_process.hpp), or, with
  // command_replays_log_, keeps none and replays both topics whole at every start.
  std::string command_state_dir_;
  bool command_replays_log_ = false;
  // What FinishAndCheck checks besides every scenario's invariants: the
  // inventory topic always; a workflow scenario sets `workflow` (the command
  // service's PAYMENT_TIMEOUT) before FinishAndCheck.
  invariants::CheckOptions check_options_;
  // Set by a scenario before SetUp to use other infrastructure (a private
  // broker or database, or a proxy in front of one); empty: the shared stack.
  std::string brokers_;             // the services'
  std::string database_url_;        // the projection's
  std::string check_database_url_;  // the checker's (direct, never through a proxy)
  std::unique_ptr<ServiceProcess> command_, projection_, notifier_;
  std::unique_ptr<LoadDriver> load_;
  std::unique_ptr<RecordingSubscriber> by_id_, by_customer_;
  LoadDriver::Options load_options_;
  // When non-zero, every other command goes to this port (a second command service).
  std::atomic<std::uint16_t> second_command_port_{0};
  // When non-zero, every command goes to this port (a load balancer in front of several instances).
  std::atomic<std::uint16_t> balancer_port_{0};
  // False: a "recovered": false snapshot to the by-id subscriber is a violation
  // (a scenario where every resume must really resume).
  bool by_id_may_resync_ = true;
  // Of the topics SetUp creates (-1: the broker's default, e.g. on a PrivateKafkaCluster).
  int replication_factor_ = 1;

 private:
  bool Settled(const invariants::Fold& fold);
  // With check_options_.workflow: no order is mid-saga (pending, awaiting its
  // refund or the release/commit of its stock); always true without.
  bool WorkflowFinished(const std::vector<invariants::LogRecord>& log);
  void KeepArtifacts(const invariants::Report& report);
};

}  // namespace orders::testing

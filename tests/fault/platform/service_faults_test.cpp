// Fault scenarios on the services, each under load and each ending with the
// invariant checker (platform_fixture.hpp): nothing acknowledged is lost or
// duplicated, versions stay gapless, the read model equals the fold of the
// log, and every subscriber sees each version once, in order. Each scenario
// also proves that its fault landed where its name says and that work
// resumed after it.
#include <signal.h>

#include <filesystem>
#include <thread>

#include <pqxx/pqxx>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/kill_mid_batch.hpp>
#include <orders/testing/test_env.hpp>

#include "platform_fixture.hpp"

namespace orders::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The number of "partitions assigned" / "partitions revoked" lines a service has logged.
int LogLinesWith(ServiceProcess& service, const std::string& message) {
  int count = 0;
  for (const auto& line : service.LogLines()) {
    if (line.find("\"" + message + "\"") != std::string::npos) ++count;
  }
  return count;
}

// Without a state store: every start replays both topics whole.
class PlatformReplayingTheCommandLog : public PlatformUnderLoad {
 protected:
  void SetUp() override {
    command_replays_log_ = true;
    PlatformUnderLoad::SetUp();
  }
};

// The command service is SIGKILLed with commands in flight: those get no
// answer (their outcome is unclear, and the load re-reads the order), and
// commands keep going to its port while it is down (refused). The restart
// rebuilds from the whole log (the same kill with a store is the next scenario).
TEST_F(PlatformReplayingTheCommandLog, CommandServiceKilledAndRestartedLosesNothing) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(100));
  int in_flight = 0;
  Clock::time_point killed_at;
  ASSERT_TRUE(Eventually(
      [&] {
        if ((in_flight = load_->in_flight()) < 1) return false;
        killed_at = Clock::now();
        command_->Kill();
        return true;
      },
      seconds(30), milliseconds(0)))
      << "no command was ever in flight";
  const auto refused_before = load_->stats().unavailable;
  // The load keeps sending while the service is down.
  ASSERT_TRUE(RunUntil([&] { return load_->stats().unavailable >= refused_before + 20; },
                       "commands sent while the command service is down"));
  // A fresh group: the dead member would hold its partitions in the old group
  // until its session times out (10 s). The service rebuilds what it owns from
  // the log, never from the group, so this changes no behaviour under test
  // (SecondCommandService... covers a dead member in the same group).
  command_group_ = UniqueName("fault-command");
  command_->SetEnvironment(CommandEnvironment());
  StartService(command_, CommandServiceBinary(), CommandEnvironment());
  EXPECT_EQ(LogLinesWith(*command_, "command state loaded from the state store; replaying the tail"), 0)
      << "this scenario is the replay without a store";
  const auto recovered_at = Clock::now();
  ExpectWorkResumesAfter(recovered_at);
  FinishAndCheck();
  const auto stats = load_->stats();
  const auto unanswered = stats.UnansweredStartedBefore(killed_at);
  std::printf("at the kill: %d commands in flight, %lld of them never answered; %lld orders re-read\n", in_flight,
              static_cast<long long>(unanswered), static_cast<long long>(stats.resynced));
  EXPECT_GE(unanswered, 1) << "no command in flight at the kill was left without an answer";
  EXPECT_GE(stats.resynced, 1) << "the unclear-outcome path (re-read with GET) was never taken";
  ExpectBoundedUnavailability(seconds(60));
}

// The same kill with a state store (COMMAND_STATE_DIR): the restarted service
// resumes from the store's last checkpoint, which the kill may have left
// behind the log (RocksDB without a WAL keeps what was flushed), and replays
// the rest. Nothing acknowledged may be lost or doubled, no version skipped.
class PlatformWithCommandStateStore : public PlatformUnderLoad {
 protected:
  void SetUp() override {
    command_state_dir_ = (std::filesystem::temp_directory_path() / UniqueName("fault-command-state")).string();
    PlatformUnderLoad::SetUp();
  }
  void TearDown() override {
    PlatformUnderLoad::TearDown();
    std::filesystem::remove_all(command_state_dir_);
  }
};

TEST_F(PlatformWithCommandStateStore, CommandServiceWithAStateStoreKilledAndRestartedLosesNothing) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(100));
  // Checkpoints are written every second and made crash-proof every 5 s: wait for one that covers some load.
  ASSERT_TRUE(RunUntil([&] { return std::filesystem::exists(command_state_dir_ + "/CURRENT"); }, "a state store"));
  std::this_thread::sleep_for(seconds(7));
  ASSERT_TRUE(Eventually(
      [&] {
        if (load_->in_flight() < 1) return false;
        command_->Kill();
        return true;
      },
      seconds(30), milliseconds(0)))
      << "no command was ever in flight";
  command_group_ = UniqueName("fault-command");
  command_->SetEnvironment(CommandEnvironment());
  StartService(command_, CommandServiceBinary(), CommandEnvironment());
  EXPECT_EQ(LogLinesWith(*command_, "command state loaded from the state store; replaying the tail"), 1)
      << "the restart did not resume from the store";
  ExpectWorkResumesAfter(Clock::now());
  FinishAndCheck();
  ExpectBoundedUnavailability(seconds(60));
}

// The projection reaches the database under an application_name of its own,
// so a test can see its transactions in pg_stat_activity.
class PlatformWithTracedProjection : public PlatformUnderLoad {
 protected:
  void SetUp() override {
    application_ = UniqueName("fault-projection");
    check_database_url_ = DatabaseUrl();
    database_url_ = check_database_url_ + (check_database_url_.find('?') == std::string::npos ? "?" : "&") +
                    "application_name=" + application_;
    PlatformUnderLoad::SetUp();
  }

  // SIGKILLs the projection inside a batch transaction (see
  // orders/testing/kill_mid_batch.hpp); returns the transaction's fate,
  // nullopt when no batch was seen in flight.
  std::optional<std::string> KillMidBatch() {
    return orders::testing::KillMidBatch(check_database_url_, application_, [&] { projection_->Kill(); });
  }

  std::string application_;
};

TEST_F(PlatformWithTracedProjection, ProjectionKilledMidBatchThreeTimesAppliesEverythingOnce) {
  constexpr int kInterrupted = 3, kMaxKills = 12;
  StartLoad();
  int kills = 0, interrupted = 0;
  while (interrupted < kInterrupted && kills < kMaxKills) {
    ASSERT_TRUE(ProjectionProgresses(50)) << projection_->LogText();
    const auto fate = KillMidBatch();
    ASSERT_TRUE(fate) << "no batch was ever seen in flight\n" << projection_->LogText();
    ++kills;
    if (*fate == "aborted") ++interrupted;
    // A fresh group per restart: the dead member would hold its partitions in
    // the old group until its session times out (10 s). Start positions come
    // from PostgreSQL, never from the group; ProjectionFrozenPastItsSession...
    // covers a member dropped from the same group.
    projection_group_ = UniqueName("fault-projection");
    projection_->SetEnvironment(ProjectionEnvironment());
    StartService(projection_, ProjectionServiceBinary(), ProjectionEnvironment());
  }
  std::printf("%d kills of the projection, %d of them inside an uncommitted batch\n", kills, interrupted);
  EXPECT_GE(interrupted, kInterrupted) << "too few kills landed inside a batch";
  ASSERT_TRUE(ProjectionProgresses(50)) << projection_->LogText();  // work resumed after the last kill
  FinishAndCheck();
  ExpectCommandsNeverUnavailable();
}

// The notifier is killed while the long-lived orders keep moving, so each
// by-id subscriber has versions to catch up on when it resumes with
// sinceVersion: every one of those resumes must replay (no "recovered":
// false), and every subscriber must still reach the last version.
TEST_F(PlatformUnderLoad, NotifierKilledAndRestartedSubscribersResumeWithoutGapOrDuplicate) {
  by_id_may_resync_ = false;
  StartLoad();
  ASSERT_TRUE(RunUntil([&] { return !by_id_->LastVersions().empty() && load_->acknowledged() >= 50; },
                       "the by-id subscriber follows its orders"));
  notifier_->Kill();
  // While it is down, a followed order moves past what its subscriber saw.
  ASSERT_TRUE(RunUntil(
      [&] {
        const auto seen = by_id_->LastVersions();
        for (const auto& ack : load_->Acknowledged()) {
          const auto it = seen.find(ack.order_id);
          if (it != seen.end() && ack.version > it->second) return true;
        }
        return false;
      },
      "a followed order moves while the notifier is down"));
  const auto updates_before = by_id_->Log().messages.size();
  StartService(notifier_, NotifierBinary(), NotifierEnvironment());
  ASSERT_TRUE(RunUntil([&] { return by_id_->reconnects() >= 1 && by_customer_->reconnects() >= 1; },
                       "both subscribers reconnect"));
  ASSERT_TRUE(RunUntil([&] { return by_id_->Log().messages.size() > updates_before + 1; },
                       "the by-id subscriber receives after its resume"));
  ASSERT_TRUE(RunUntilAcknowledged(50));
  FinishAndCheck();
  ExpectCommandsNeverUnavailable();
}

// Frozen longer than the consumer session timeout (10 s): the broker drops it
// from the group (seen as the group's membership going to zero); after
// SIGCONT it learns it lost its partitions, rejoins, and resumes from its
// stored offsets.
TEST_F(PlatformUnderLoad, ProjectionFrozenPastItsSessionTimeoutResumesExactly) {
  StartLoad();
  ASSERT_TRUE(ProjectionProgresses(50));
  ASSERT_EQ(GroupMemberCount(projection_group_), 1);
  const int assigned_before = LogLinesWith(*projection_, "partitions assigned");
  const int revoked_before = LogLinesWith(*projection_, "partitions revoked");
  ASSERT_EQ(::kill(projection_->pid(), SIGSTOP), 0);
  const bool dropped = RunUntil([&] { return GroupMemberCount(projection_group_) == 0; },
                                "the broker drops the frozen projection from its group", seconds(45));
  ASSERT_EQ(::kill(projection_->pid(), SIGCONT), 0);
  ASSERT_TRUE(dropped);
  ASSERT_TRUE(RunUntil(
      [&] {
        return LogLinesWith(*projection_, "partitions revoked") > revoked_before &&
               LogLinesWith(*projection_, "partitions assigned") > assigned_before &&
               GroupMemberCount(projection_group_) == 1;
      },
      "the projection learns it lost its partitions and rejoins"))
      << projection_->LogText();
  ASSERT_TRUE(ProjectionProgresses(50)) << projection_->LogText();
  FinishAndCheck(seconds(90));
  ExpectCommandsNeverUnavailable();
}

// A second command-service instance on the same topic and group: once the
// group has split the partitions between them, commands go to both (an
// instance answers 503 for partitions it does not own) and the second one
// acknowledges commands itself; then it is killed and the first takes over.
TEST_F(PlatformUnderLoad, SecondCommandServiceOnTheSameTopicNeverDuplicatesOrSkipsAVersion) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(50));
  ServiceProcess second(CommandServiceBinary(), CommandEnvironment());
  ASSERT_TRUE(second.Start()) << second.LogText();
  const std::uint16_t second_port = second.port();
  ASSERT_TRUE(RunUntil(
      [&] {
        const int first = OwnedPartitions(command_->port()), other = OwnedPartitions(second.port());
        return first > 0 && other > 0 && first + other == 6 &&
               HttpRequest(second.port(), "GET", "/readyz").status == 200;
      },
      "the group splits the partitions between the two instances"))
      << second.LogText();
  second_command_port_ = second_port;
  ASSERT_TRUE(RunUntil([&] { return load_->stats().acknowledged_by_port[second_port] >= 30; },
                       "the second instance acknowledges commands itself"))
      << second.LogText();
  second_command_port_ = 0;
  second.Kill();
  ASSERT_TRUE(
      RunUntil([&] { return OwnedPartitions(command_->port()) == 6; }, "the first instance owns every partition again"))
      << command_->LogText();
  ExpectWorkResumesAfter(Clock::now());
  FinishAndCheck();
  std::printf("acknowledged by the second instance: %lld\n",
              static_cast<long long>(load_->stats().acknowledged_by_port[second_port]));
}

}  // namespace
}  // namespace orders::testing

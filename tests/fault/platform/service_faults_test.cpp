// Fault scenarios on the services, each under load and each ending with the
// invariant checker (platform_fixture.hpp): nothing acknowledged is lost or
// duplicated, versions stay gapless, the read model equals the fold of the
// log, and every subscriber sees each version once, in order.
#include <signal.h>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>

#include "platform_fixture.hpp"

namespace orders::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_F(PlatformUnderLoad, CommandServiceKilledAndRestartedLosesNothing) {
  StartLoad();
  RunFor(seconds(3));
  command_->Kill();
  RunFor(seconds(1));  // commands meanwhile get no answer
  StartService(command_, CommandServiceBinary(), CommandEnvironment());
  RunFor(seconds(3));
  FinishAndCheck();
}

TEST_F(PlatformUnderLoad, ProjectionKilledMidBatchThreeTimesAppliesEverythingOnce) {
  StartLoad();
  for (int kill = 0; kill < 3; ++kill) {
    RunFor(milliseconds(1500));
    projection_->Kill();
    RunFor(milliseconds(500));
    StartService(projection_, ProjectionServiceBinary(), ProjectionEnvironment());
  }
  RunFor(seconds(2));
  FinishAndCheck();
}

TEST_F(PlatformUnderLoad, NotifierKilledAndRestartedSubscribersResumeWithoutGapOrDuplicate) {
  StartLoad();
  RunFor(seconds(3));
  notifier_->Kill();
  RunFor(seconds(1));
  StartService(notifier_, NotifierBinary(), NotifierEnvironment());
  RunFor(seconds(3));
  FinishAndCheck();
  EXPECT_GE(by_id_->reconnects(), 1);
}

// Frozen longer than the consumer session timeout (10 s): the broker drops it
// from the group; after SIGCONT it rejoins and resumes from its stored offsets.
TEST_F(PlatformUnderLoad, ProjectionFrozenPastItsSessionTimeoutResumesExactly) {
  StartLoad();
  RunFor(seconds(2));
  ASSERT_EQ(::kill(projection_->pid(), SIGSTOP), 0);
  RunFor(seconds(12));
  ASSERT_EQ(::kill(projection_->pid(), SIGCONT), 0);
  RunFor(seconds(3));
  FinishAndCheck(seconds(90));
}

// A second command-service instance on the same topic and group: partition
// ownership moves between them while commands go to both (an instance answers
// 503 for partitions it does not own); then the second one is killed.
TEST_F(PlatformUnderLoad, SecondCommandServiceOnTheSameTopicNeverDuplicatesOrSkipsAVersion) {
  StartLoad();
  RunFor(seconds(2));
  ServiceProcess second(CommandServiceBinary(), CommandEnvironment());
  ASSERT_TRUE(second.Start()) << second.LogText();
  second_command_port_ = second.port();
  RunFor(seconds(4));
  second_command_port_ = 0;
  second.Kill();
  RunFor(seconds(3));
  FinishAndCheck();
}

}  // namespace
}  // namespace orders::testing

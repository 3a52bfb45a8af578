// Two instances in one consumer group: the second joins while events are
// being applied (a rebalance moves partitions between writers), later the
// first dies by SIGKILL mid-batch and the second takes over all partitions.
// The read model still equals the fold: each event applied exactly once.
#include "projection_fault_fixture.hpp"

namespace orders::testing {
namespace {

TEST_F(ProjectionFaultTest, SecondInstanceJoinsMidLoadAndFirstIsKilledWithoutLossOrDoubleApply) {
  const std::string first_application = UniqueName("proj-first");
  database_url_ = WithApplicationName(DatabaseUrl(), first_application);
  StartService();
  WaitReady();
  StartLoad();
  ASSERT_TRUE(WaitForProgress(1000)) << service_->LogText();

  auto environment = Environment();
  environment["DATABASE_URL"] = WithApplicationName(DatabaseUrl(), UniqueName("proj-second"));
  ServiceProcess second(ProjectionServiceBinary(), environment);
  ASSERT_TRUE(second.Start()) << second.LogText();
  ASSERT_TRUE(Eventually(
      [&] {
        const auto assigned = LastAssignment(second);
        return assigned && !assigned->empty() && EverRevoked(*service_);
      },
      std::chrono::seconds(30)))
      << "no rebalance\n"
      << service_->LogText() << second.LogText();
  ASSERT_TRUE(WaitForProgress(1000)) << second.LogText();

  const auto fate = KillMidBatch(*service_, first_application);
  ASSERT_TRUE(fate) << "the first instance was never seen inside a batch\n" << service_->LogText();
  std::printf("the first instance was killed; its batch was %s\n", fate->c_str());
  // Once the dead member's session times out, the second owns every partition.
  ASSERT_TRUE(Eventually(
      [&] {
        const auto assigned = LastAssignment(second);
        return assigned && assigned->size() == 6;
      },
      std::chrono::seconds(40)))
      << second.LogText();
  ASSERT_TRUE(WaitForProgress(1000)) << second.LogText();

  StopLoad();
  ExpectReadModelEqualsTheWholeLog(&second);
  EXPECT_EQ(second.Stop(), 0) << second.LogText();
}

}  // namespace
}  // namespace orders::testing

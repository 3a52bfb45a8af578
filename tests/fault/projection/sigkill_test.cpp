// SIGKILL of the projection in the middle of a batch, again and again, while
// events keep arriving: every restart resumes from the offsets stored with the
// last committed batch, so nothing is lost and nothing is applied twice.
#include "projection_fault_fixture.hpp"

namespace orders::testing {
namespace {

constexpr int kInterruptedBatches = 5;
constexpr int kMaxKills = 12;

TEST_F(ProjectionFaultTest, RepeatedSigkillMidBatchUnderLoadStillEndsEqualToTheFold) {
  const std::string application = UniqueName("proj-crash");
  database_url_ = WithApplicationName(DatabaseUrl(), application);
  StartService();
  WaitReady();
  StartLoad();

  int interrupted = 0;
  int kills = 0;
  while (interrupted < kInterruptedBatches && kills < kMaxKills) {
    ASSERT_TRUE(WaitForProgress(1000)) << "no progress after restart " << kills << "\n" << service_->LogText();
    const auto fate = KillMidBatch(*service_, application);
    ASSERT_TRUE(fate) << "no batch was ever seen in flight\n" << service_->LogText();
    ++kills;
    if (*fate == "aborted") ++interrupted;
    // A fresh group per restart: the dead member would hold its partitions in
    // the old group until its session times out (10 s). Start positions come
    // from PostgreSQL, never from the group, so this changes no behaviour
    // under test (the rebalance test covers a dead member in the same group).
    group_ = UniqueName("proj-group");
    StartService();
    WaitReady();
  }
  std::printf("%d kills, %d of them inside an uncommitted batch\n", kills, interrupted);
  EXPECT_GE(interrupted, kInterruptedBatches) << "too few kills landed inside a batch";

  ASSERT_TRUE(WaitForProgress(300)) << service_->LogText();
  StopLoad();
  ExpectReadModelEqualsTheWholeLog();
}

}  // namespace
}  // namespace orders::testing

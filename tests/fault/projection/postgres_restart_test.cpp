// PostgreSQL goes away under load, once cleanly (fast shutdown) and once in a
// crash (every server process SIGKILLed): the projection reports not-ready,
// keeps retrying without dying, and resumes from the stored offsets once the
// database is back. Runs on a private cluster, never the shared one.
//
// The cluster runs with synchronous_commit = off, as read models often do: a
// crash then loses the last commits the service saw succeed, so its in-memory
// positions run ahead of the stored offsets. Resuming from memory would skip
// those events; the service must resume from what is stored.
#include "projection_fault_fixture.hpp"

namespace orders::testing {
namespace {

TEST_F(ProjectionFaultTest, PostgresRestartsUnderLoadGive503ThenResumeFromStoredOffsets) {
  std::string error;
  PrivatePostgresOptions options;
  options.settings = {"synchronous_commit = off"};
  private_postgres_ = PrivatePostgres::Create(error, options);
  ASSERT_TRUE(private_postgres_) << error;
  database_url_ = private_postgres_->Url();
  StartService();
  WaitReady();
  StartLoad();
  ASSERT_TRUE(WaitForProgress(1000)) << service_->LogText();

  for (const bool crash : {false, true}) {
    SCOPED_TRACE(crash ? "crash" : "fast shutdown");
    if (crash) {
      private_postgres_->Kill();
    } else {
      ASSERT_TRUE(private_postgres_->Stop(error)) << error;
    }
    EXPECT_TRUE(Eventually([&] { return Get("/readyz").status == 503; }, std::chrono::seconds(15)))
        << service_->LogText();
    // Events keep arriving while the database is down.
    const auto produced_at_outage = load_produced_.load();
    ASSERT_TRUE(
        Eventually([&] { return load_produced_.load() >= produced_at_outage + 3000; }, std::chrono::seconds(30)));
    EXPECT_EQ(Get("/readyz").status, 503);
    ASSERT_TRUE(service_->running()) << "the service died instead of retrying\n" << service_->LogText();

    ASSERT_TRUE(private_postgres_->Start(error)) << error;
    EXPECT_TRUE(Eventually([&] { return Get("/readyz").status == 200; }, std::chrono::seconds(30)))
        << service_->LogText();
    ASSERT_TRUE(WaitForProgress(1000)) << service_->LogText();
  }
  StopLoad();
  ExpectReadModelEqualsTheWholeLog();
  const auto metrics = Get("/metrics").body;
  EXPECT_GT(MetricValue(metrics, "projection_store_failures_total"), 0) << "the outages went unnoticed:\n" << metrics;
  std::printf("store failures %.0f, repositions after the store moved %.0f\n",
              MetricValue(metrics, "projection_store_failures_total"),
              MetricValue(metrics, "projection_repositions_total"));
}

}  // namespace
}  // namespace orders::testing

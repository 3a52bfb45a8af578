// Replay from offset zero into an empty schema: first into a fresh read model,
// then again after the whole schema was dropped. Both equal the fold of a log
// that holds interleaved orders, redelivered duplicates and a poison record.
#include "projection_fault_fixture.hpp"

namespace orders::testing {
namespace {

TEST_F(ProjectionFaultTest, ReplayFromZeroIntoAnEmptySchemaEqualsTheFold) {
  const auto events = RandomEvents(3000, 11);
  for (std::size_t i = 0; i < events.size(); ++i) {
    Produce(events[i]);
    if (i % 10 == 0) Produce(events[i]);  // a producer retry: the same event twice
    if (i == events.size() / 2) ProduceRaw("not-an-order", "{\"orderId\":", {});
  }
  Flush();

  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  ExpectReadModelEqualsFold();
  ExpectHistoryEqualsFold();
  ExpectStoredOffsetsAtTopicEnd();
  EXPECT_EQ(Count("poison_events"), 1);
  const auto first_replay = ReadOrders();

  ASSERT_EQ(service_->Stop(), 0) << service_->LogText();
  {
    auto connection = Connect();
    pqxx::work tx(connection);
    tx.exec0("DROP SCHEMA " + tx.quote_name(schema_) + " CASCADE");
    tx.commit();
  }
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  EXPECT_EQ(ReadOrders(), first_replay);
  ExpectReadModelEqualsFold();
  ExpectHistoryEqualsFold();
  ExpectStoredOffsetsAtTopicEnd();
  EXPECT_EQ(Count("poison_events"), 1);
}

// A backlog of tens of thousands of records is written by two writers at once (each its own partitions, its
// own connection and fence), and by one again once the consumer is close to the end: the read model, its
// history and its summaries equal the fold all the same.
TEST_F(ProjectionFaultTest, ALongReplayIsWrittenByTwoWritersThenOneAndEqualsTheFold) {
  // Longer than one batch (50,000 records) plus the widening threshold (20,000): the first writer may take
  // everything fetched so far into one batch before the first look at the lag, and only what is still behind
  // then makes the projection widen.
  const auto events = RandomEvents(40000, 12);
  ASSERT_GT(events.size(), 75000u) << "the backlog must outlast one batch and still be long enough to widen";
  for (const auto& event : events) Produce(event);
  Flush();

  StartService();
  WaitReady();
  WaitUntilCaughtUp(std::chrono::seconds(120));
  EXPECT_TRUE(Eventually([&] { return service_->LogText().find("\"lanes\":1") != std::string::npos; },
                         std::chrono::seconds(10)))
      << "one writer again once caught up:\n"
      << service_->LogText();
  EXPECT_NE(service_->LogText().find("\"lanes\":2"), std::string::npos) << "two writers during the replay";
  ExpectReadModelEqualsFold();
  ExpectHistoryEqualsFold();
  ExpectStoredOffsetsAtTopicEnd();
  ExpectSummariesEqualTheStoredHistory();
}

}  // namespace
}  // namespace orders::testing

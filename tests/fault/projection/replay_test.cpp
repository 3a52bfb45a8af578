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

}  // namespace
}  // namespace orders::testing

// The producer wrapper against librdkafka's in-process mock cluster: fast
// fault injection for the client code (the real broker is tested elsewhere).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/kafka_settings.hpp>
#include <orders/testing/eventually.hpp>

namespace orders::platform {
namespace {

using Outcome = DeliveryReport::Outcome;

class ProducerOnMockCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    auto producer = KafkaProducer::Create({"unused:9092", "mock-test", "", {{"test.mock.num.brokers", "1"}}});
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
  }

  std::shared_ptr<std::atomic<int>> Send(std::vector<Outcome>& outcomes) {
    auto done = std::make_shared<std::atomic<int>>(0);
    const auto queued = producer_->Produce("events", "key", "value", {{"h", "v"}},
                                           [this, &outcomes, done](const DeliveryReport& report) {
                                             std::lock_guard lock(mutex_);
                                             outcomes.push_back(report.outcome);
                                             ++*done;
                                           });
    EXPECT_TRUE(queued) << (queued ? "" : queued.error().message);
    return done;
  }

  std::mutex mutex_;
  std::unique_ptr<KafkaProducer> producer_;
};

TEST_F(ProducerOnMockCluster, AcknowledgedRecordIsReportedPersisted) {
  std::vector<Outcome> outcomes;
  auto done = Send(outcomes);
  ASSERT_TRUE(testing::Eventually([&] { return done->load() == 1; }));
  EXPECT_EQ(outcomes.at(0), Outcome::kPersisted);
}

TEST_F(ProducerOnMockCluster, FatalErrorNeverReportsSuccessAndTheProducerIsRecreated) {
  std::vector<Outcome> outcomes;
  auto first = Send(outcomes);
  ASSERT_TRUE(testing::Eventually([&] { return first->load() == 1; }));

  ASSERT_TRUE(producer_->TriggerFatalErrorForTesting());
  // A record handed to the failed instance is never reported persisted.
  std::vector<Outcome> during;
  std::atomic<int> reported{0};
  const auto queued = producer_->Produce("events", "key", "value", {}, [&](const DeliveryReport& report) {
    std::lock_guard lock(mutex_);
    during.push_back(report.outcome);
    ++reported;
  });
  if (queued) {
    ASSERT_TRUE(testing::Eventually([&] { return reported.load() == 1; }));
    // Either the fatal state was noticed first (fresh producer: persisted),
    // or the record met the failed instance (not persisted / unknown).
    std::lock_guard lock(mutex_);
    EXPECT_TRUE(producer_->Recreations() == 1 || during.at(0) != Outcome::kPersisted);
  } else {
    // Refused at once: said so, and no report will ever claim it persisted.
    EXPECT_FALSE(queued.error().message.empty()) << "a refused record comes with the reason";
    std::lock_guard lock(mutex_);
    EXPECT_TRUE(during.empty() || during.at(0) != Outcome::kPersisted);
  }
  // The next records go through a fresh instance.
  std::vector<Outcome> after;
  auto next = Send(after);
  ASSERT_TRUE(testing::Eventually([&] { return next->load() == 1; }, std::chrono::seconds(15)));
  EXPECT_EQ(after.at(0), Outcome::kPersisted);
  EXPECT_EQ(producer_->Recreations(), 1);
}

}  // namespace
}  // namespace orders::platform

namespace orders::platform {
namespace {

// librdkafka 2.0.2 bumps the idempotent producer's epoch when a record times out in flight, and may then write
// batches a second time: our producers never time a record out, and their queue is bounded instead.
TEST(ProducerSettings, RecordsNeverTimeOutAndTheQueueIsBounded) {
  auto conf = MakeProducerConf({"b:9092", "client", "", {}});
  ASSERT_TRUE(conf) << conf.error().message;
  std::string value;
  ASSERT_EQ((*conf)->get("message.timeout.ms", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "0");
  ASSERT_EQ((*conf)->get("enable.idempotence", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "true");
  ASSERT_EQ((*conf)->get("queue.buffering.max.kbytes", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "65536");
  ASSERT_EQ((*conf)->get("queue.buffering.max.messages", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "100000");
}

}  // namespace
}  // namespace orders::platform

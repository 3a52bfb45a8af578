// The producer wrapper against librdkafka's in-process mock cluster: fast
// fault injection for the client code (the real broker is tested elsewhere).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
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

// Records queued in order through ProduceInOrder, with what each delivery report said.
struct Chain {
  std::mutex mutex;
  std::vector<DeliveryReport> reports;  // in the order they came
  std::vector<std::string> values;      // the value of each report's record
  std::atomic<int> done{0};
};

std::vector<OrderedRecord> ChainOf(const std::vector<std::string>& values, const std::shared_ptr<Chain>& chain) {
  std::vector<OrderedRecord> records;
  for (const auto& value : values) {
    records.push_back({"order-1", value, {}, [chain, value](const DeliveryReport& report) {
                         std::lock_guard lock(chain->mutex);
                         chain->reports.push_back(report);
                         chain->values.push_back(value);
                         ++chain->done;
                       }});
  }
  return records;
}

TEST_F(ProducerOnMockCluster, ChainedRecordsLandInTheirOrderAtConsecutiveOffsets) {
  auto chain = std::make_shared<Chain>();
  ASSERT_EQ(producer_->ProduceInOrder("events", 0, ChainOf({"first", "second", "third"}, chain)), 3U);
  ASSERT_TRUE(testing::Eventually([&] { return chain->done.load() == 3; }));
  std::lock_guard lock(chain->mutex);
  EXPECT_EQ(chain->values, (std::vector<std::string>{"first", "second", "third"}));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(chain->reports[i].outcome, Outcome::kPersisted);
    EXPECT_EQ(chain->reports[i].partition, 0);
    if (i > 0) EXPECT_EQ(chain->reports[i].offset, chain->reports[i - 1].offset + 1);
  }
}

TEST_F(ProducerOnMockCluster, AChainIsNeverSplitBetweenAFailedProducerAndItsReplacement) {
  std::vector<Outcome> outcomes;
  auto warm = Send(outcomes);
  ASSERT_TRUE(testing::Eventually([&] { return warm->load() == 1; }));
  ASSERT_TRUE(producer_->TriggerFatalErrorForTesting());
  auto chain = std::make_shared<Chain>();
  const auto queued = producer_->ProduceInOrder("events", 0, ChainOf({"authorized", "confirmed"}, chain));
  ASSERT_TRUE(
      testing::Eventually([&] { return chain->done.load() == static_cast<int>(queued); }, std::chrono::seconds(15)));
  std::lock_guard lock(chain->mutex);
  // Whatever instance took them: a later record is persisted only if every earlier one is.
  bool earlier_persisted = true;
  for (std::size_t i = 0; i < chain->reports.size(); ++i) {
    const bool persisted = chain->reports[i].outcome == Outcome::kPersisted;
    EXPECT_TRUE(!persisted || earlier_persisted) << "record " << chain->values[i] << " landed after a hole";
    earlier_persisted = earlier_persisted && persisted;
  }
  if (producer_->Recreations() == 1 && queued == 2 && earlier_persisted) {
    EXPECT_EQ(chain->reports[1].offset, chain->reports[0].offset + 1);
  }
}

}  // namespace
}  // namespace orders::platform

namespace orders::platform {
namespace {

// What the producers' configuration says for `name` (empty when unset or invalid).
std::string ProducerSetting(const std::string& name) {
  auto conf = MakeProducerConf({"b:9092", "client", "", {}});
  EXPECT_TRUE(conf) << conf.error().message;
  std::string value;
  if (conf) EXPECT_EQ((*conf)->get(name, value), RdKafka::Conf::CONF_OK) << name;
  return value;
}

// librdkafka 2.0.2 bumps the idempotent producer's epoch when a record times out in flight, and may then write
// batches a second time: our producers never time a record out, and their queue is bounded instead.
TEST(ProducerSettings, RecordsNeverTimeOutAndTheQueueIsBounded) {
  EXPECT_EQ(ProducerSetting("message.timeout.ms"), "0");
  EXPECT_EQ(ProducerSetting("enable.idempotence"), "true");
  EXPECT_EQ(ProducerSetting("queue.buffering.max.kbytes"), "65536");
  EXPECT_EQ(ProducerSetting("queue.buffering.max.messages"), "100000");
}

// Chained appends queue a record that only holds after an earlier one before that one is acknowledged.
TEST(ProducerSettings, AnErrorThatWouldLeaveAHoleInAPartitionIsFatal) {
  EXPECT_EQ(ProducerSetting("enable.gapless.guarantee"), "true");
}

}  // namespace
}  // namespace orders::platform

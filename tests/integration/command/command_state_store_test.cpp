// The command service with a local state store (COMMAND_STATE_DIR) against the
// real Kafka: a restart resumes from the store's checkpoint and replays only
// the tail, finished orders that left memory still answer as before, stock
// levels and reservations come back exactly, and a store that is gone or
// belongs to another topic means a full, correct replay.
#include "command_fixture.hpp"

#include <filesystem>
#include <thread>

#include <orders/codec/inventory_codec.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/uuid.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

class CommandStateStoreTest : public CommandServiceTest {
 protected:
  void SetUp() override {
    state_dir_ = std::filesystem::temp_directory_path() / UniqueName("command-state");
    extra_env_["COMMAND_STATE_DIR"] = state_dir_.string();
    extra_env_["ORDER_RETENTION"] = "1s";  // finished orders leave memory within the test
    CommandServiceTest::SetUp();
  }
  void TearDown() override {
    if (service_) StopService();
    std::filesystem::remove_all(state_dir_);
  }

  // A gauge or counter of /metrics (the first series of that name), or -1.
  double Metric(const std::string& name) {
    const auto body = Get("/metrics").body;
    const auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + name.size() + 2));
  }

  std::filesystem::path state_dir_;
};

TEST_F(CommandStateStoreTest, ARestartReplaysOnlyTheTailAndFinishedOrdersStillAnswerAsBefore) {
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "checkout-store-1"}};
  const auto keyed = Post(OrderBody(), key);
  ASSERT_EQ(keyed.status, 201) << keyed.body;
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(PlaceOrder());
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Put(ids[i], R"({"status":"cancelled","reason":"test"})").status, 200);
  std::map<std::string, std::string> before;
  for (const auto& id : ids) before[id] = Get("/orders/" + id).body;

  // Cancelled more than ORDER_RETENTION ago, and written: they leave memory.
  ASSERT_TRUE(Eventually([&] { return Metric("orders_command_orders_evicted_total") >= 4; }, std::chrono::seconds(15)))
      << Get("/metrics").body;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Get("/orders/" + ids[i]).body, before[ids[i]]) << "read back from the store";
    EXPECT_EQ(Put(ids[i], R"({"status":"confirmed"})").status, 409) << "a finished order refuses, evicted or not";
  }
  EXPECT_GE(Metric("orders_command_state_store_reads_total"), 4);

  ASSERT_EQ(StopService(), 0) << service_->LogText();
  StartService();
  EXPECT_NE(service_->LogText().find("command state loaded from the state store"), std::string::npos)
      << service_->LogText();
  EXPECT_EQ(Metric("orders_command_rebuild_events"), 0) << "a clean stop checkpoints everything read";
  EXPECT_LE(Metric("orders_command_orders"), 5) << "the cancelled orders stay in the store";
  for (const auto& id : ids) EXPECT_EQ(Get("/orders/" + id).body, before[id]) << id;
  EXPECT_EQ(Put(ids[0], R"({"status":"confirmed"})").status, 409);
  EXPECT_EQ(Put(ids[5], R"({"status":"confirmed"})").status, 200);
  const auto retry = Post(OrderBody(), key);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(json::parse(retry.body)["orderId"], json::parse(keyed.body)["orderId"]) << "the key came from the store";
  EXPECT_EQ(Post(OrderBody("someone-else"), key).status, 422);
  EXPECT_EQ(Put("00000000-0000-4000-8000-000000000000", R"({"status":"confirmed"})").status, 404);
}

TEST_F(CommandStateStoreTest, WithTheStoreDeletedTheWholeTopicIsReplayedAndTheStateIsTheSame) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(PlaceOrder());
  ASSERT_EQ(Put(ids[0], R"({"status":"cancelled","reason":"test"})").status, 200);
  std::map<std::string, std::string> before;
  for (const auto& id : ids) before[id] = Get("/orders/" + id).body;

  ASSERT_EQ(StopService(), 0);
  std::filesystem::remove_all(state_dir_);
  StartService();
  EXPECT_EQ(Metric("orders_command_rebuild_events"), 7) << "six placements and a cancellation";
  for (const auto& id : ids) EXPECT_EQ(Get("/orders/" + id).body, before[id]) << id;
  EXPECT_EQ(Put(ids[0], R"({"status":"confirmed"})").status, 409);
}

TEST_F(CommandStateStoreTest, AStoreWrittenForAnotherTopicIsDiscardedWithTheReason) {
  const auto id = PlaceOrder();
  ASSERT_EQ(StopService(), 0);
  topic_ = UniqueName("cmd-other");  // what a recreated or renamed topic looks like to the store
  ASSERT_EQ(CreateTopic(topic_, 6), "");
  StartService();
  EXPECT_NE(service_->LogText().find("state store discarded"), std::string::npos) << service_->LogText();
  EXPECT_EQ(Get("/orders/" + id).status, 404) << "nothing of the other topic's orders is left";
  EXPECT_EQ(Metric("orders_command_rebuild_events"), 0);
}

TEST_F(CommandStateStoreTest, AStoreWhoseTailRetentionDeletedIsDiscardedOnceWithTheReasonAndTheTopicReplayed) {
  const auto seen = PlaceOrder();
  ASSERT_EQ(StopService(), 0);
  // While this instance is down, another (with a store of its own) appends what this store never sees...
  const auto own_state_dir = state_dir_;
  state_dir_ = std::filesystem::temp_directory_path() / UniqueName("command-state-other");
  extra_env_["COMMAND_STATE_DIR"] = state_dir_.string();
  StartService();
  std::vector<std::string> unseen;
  for (int i = 0; i < 12; ++i) unseen.push_back(PlaceOrder());  // 12 over 6 partitions: most get one
  ASSERT_EQ(StopService(), 0);
  std::filesystem::remove_all(state_dir_);
  // ...and retention deletes all of it (every partition: up to its end).
  std::map<int, std::int64_t> everything;
  for (int partition = 0; partition < 6; ++partition) everything[partition] = -1;  // -1: the end offset
  ASSERT_EQ(DeleteRecordsBefore(topic_, everything), "");

  state_dir_ = own_state_dir;
  extra_env_["COMMAND_STATE_DIR"] = state_dir_.string();
  StartService();
  const auto log = service_->LogText();
  const auto reason = log.find("before the topic's first offset");
  EXPECT_NE(reason, std::string::npos) << log;
  EXPECT_EQ(log.find("state store discarded"), log.rfind("state store discarded")) << "logged once\n" << log;
  EXPECT_EQ(Metric("orders_command_rebuild_events"), 0) << "nothing left in the log to replay";
  EXPECT_EQ(Get("/orders/" + seen).status, 404) << "the discarded store answers nothing of what it held";
  for (const auto& id : unseen) EXPECT_EQ(Get("/orders/" + id).status, 404);
  const auto placed = PlaceOrder();
  EXPECT_EQ(Get("/orders/" + placed).status, 200) << "and the service takes commands again";
}

TEST_F(CommandStateStoreTest, AKeyPastItsRetentionIsNotLoadedAfterARestartAndARetryPlacesANewOrder) {
  ASSERT_EQ(StopService(), 0);
  extra_env_["IDEMPOTENCY_RETENTION"] = "2s";
  StartService();
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "checkout-store-expiring"}};
  const auto first = Post(OrderBody(), key);
  ASSERT_EQ(first.status, 201) << first.body;
  ASSERT_EQ(StopService(), 0);  // a clean stop writes the key to the store
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));

  StartService();
  const auto log = service_->LogText();
  EXPECT_NE(log.find("\"keysLoaded\":0"), std::string::npos) << "the expired key is not loaded\n" << log;
  const auto retry = Post(OrderBody(), key);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_NE(json::parse(retry.body)["orderId"], json::parse(first.body)["orderId"]) << "a new placement, not a repeat";
}

TEST_F(CommandStateStoreTest, ASecondInstanceOnTheSameDirectoryRefusesToStartAndSaysWhy) {
  ServiceProcess second(CommandServiceBinary(), {{"AUTH", "off"},
                                                 {"KAFKA_BROKERS", KafkaBrokers()},
                                                 {"ORDERS_TOPIC", topic_},
                                                 {"INVENTORY_TOPIC", inventory_topic_},
                                                 {"COMMAND_STATE_DIR", state_dir_.string()}});
  EXPECT_FALSE(second.Start(std::chrono::seconds(10)));
  EXPECT_NE(second.LogText().find("COMMAND_STATE_DIR"), std::string::npos) << second.LogText();
  EXPECT_FALSE(second.running());
}

// Inventory in the store: stock reserved by workflow orders, a restart loads every product and reads only the
// tail of the inventory topic, and the next reservations are decided as without the restart.
class InventoryStateStoreTest : public CommandStateStoreTest {
 protected:
  void SetUp() override {
    extra_env_["WORKFLOW"] = "on";
    extra_env_["PAYMENT_SIMULATOR_LATENCY_MS"] = "0";
    extra_env_["PAYMENT_SIMULATOR_DECLINE_ABOVE_CENTS"] = "100000";
    CommandStateStoreTest::SetUp();
  }

  std::string Place(const std::string& product, int quantity, std::int64_t unit_price = 100) {
    const auto body =
        json{{"customerId", "customer-1"},
             {"items", {{{"productId", product}, {"quantity", quantity}, {"unitPriceCents", unit_price}}}}};
    const auto response = Post(body.dump(), {{"Content-Type", "application/json"}});
    EXPECT_EQ(response.status, 201) << response.body;
    return json::parse(response.body, nullptr, false).value("orderId", "");
  }
  std::string Settled(const std::string& id) {
    std::string status;
    Eventually(
        [&] {
          status = json::parse(Get("/orders/" + id).body, nullptr, false).value("status", "");
          return status != "pending" && !status.empty();
        },
        std::chrono::seconds(20));
    return status;
  }
  json Stock(const std::string& product) { return json::parse(Get("/inventory/" + product).body, nullptr, false); }
  // After a start: inventory answers 503 until this instance writes the product's partition.
  json ServedStock(const std::string& product) {
    Eventually([&] { return Get("/inventory/" + product).status == 200; }, std::chrono::seconds(30));
    return Stock(product);
  }
  double InventoryMetric(const std::string& name) { return Metric(name + "{stream=\"inventory\"}"); }
};

TEST_F(InventoryStateStoreTest, ARestartLoadsTheStockReadsOnlyTheTailAndReservesExactlyAfter) {
  AwaitInventoryWriter("sku-store", R"({"onHand":10})");
  std::vector<std::string> held;
  for (int i = 0; i < 3; ++i) held.push_back(Place("sku-store", 2));
  const auto declined = Place("sku-store", 1, 200'000);  // reserved, then released when the payment is declined
  const auto refused = Place("sku-store", 20);
  for (const auto& id : held) EXPECT_EQ(Settled(id), "confirmed") << id;
  EXPECT_EQ(Settled(declined), "cancelled");
  EXPECT_EQ(Settled(refused), "cancelled");
  // The declined order's reservation is released after its cancellation: wait for that too.
  json before;
  EXPECT_TRUE(Eventually([&] { return (before = Stock("sku-store"))["reserved"] == 6; }, std::chrono::seconds(20)));
  ASSERT_EQ(before["onHand"], 10) << before;
  ASSERT_EQ(before["reserved"], 6) << before;
  ASSERT_EQ(before["available"], 4) << before;

  // A clean stop checkpoints everything read.
  ASSERT_EQ(StopService(), 0) << service_->LogText();
  StartService();
  EXPECT_NE(service_->LogText().find("inventory state loaded from the state store"), std::string::npos)
      << service_->LogText();
  EXPECT_EQ(InventoryMetric("orders_command_rebuild_events"), 0) << Get("/metrics").body;
  EXPECT_EQ(ServedStock("sku-store"), before);

  // While it is down, another instance (a store of its own) appends to the inventory topic: the tail.
  ASSERT_EQ(StopService(), 0);
  const auto own_state_dir = state_dir_;
  state_dir_ = std::filesystem::temp_directory_path() / UniqueName("command-state-other");
  extra_env_["COMMAND_STATE_DIR"] = state_dir_.string();
  StartService();
  AwaitInventoryWriter("sku-tail", R"({"onHand":5})");
  ASSERT_EQ(PutStock("sku-tail", R"({"onHand":7})").status, 200);
  ASSERT_EQ(StopService(), 0);
  std::filesystem::remove_all(state_dir_);
  state_dir_ = own_state_dir;
  extra_env_["COMMAND_STATE_DIR"] = state_dir_.string();
  StartService();
  EXPECT_EQ(InventoryMetric("orders_command_rebuild_events"), 2) << "the two stock_set records of the tail only";
  EXPECT_EQ(ServedStock("sku-store"), before);
  EXPECT_EQ(ServedStock("sku-tail")["onHand"], 7);

  // The next reservations see exactly the stock before the restarts: 4 fit, then nothing is left.
  const auto fits = Place("sku-store", 4);
  EXPECT_EQ(Settled(fits), "confirmed");
  const auto too_many = Place("sku-store", 1);
  EXPECT_EQ(Settled(too_many), "cancelled");
  const auto after = Stock("sku-store");
  EXPECT_EQ(after["reserved"], 10) << after;
  EXPECT_EQ(after["available"], 0) << after;
  EXPECT_EQ(after["version"], before["version"].get<int>() + 2) << "one reservation, one refusal";
}

// A product's history written straight to the inventory topic, four weeks old and then a day old: the
// reservations settled more than RESERVATION_RETENTION (the default week) before the product's latest event
// are forgotten, as the log is followed, again by a full replay, and the store keeps only what is left.
TEST_F(InventoryStateStoreTest, SettledReservationsPastTheRetentionAreForgottenLiveOnReplayAndInTheStore) {
  auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "command-test", "", {}});
  ASSERT_TRUE(producer) << producer.error().message;
  const std::string sku = "sku-old";
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const domain::Timestamp month_ago{(now - std::chrono::hours(24 * 30)).time_since_epoch()};
  const domain::Timestamp day_ago{(now - std::chrono::hours(24)).time_since_epoch()};
  std::int64_t version = 0;
  std::atomic<int> failed{0};
  auto produce = [&](auto event) {
    event.version = ++version;
    const auto record = codec::EncodeEvent(domain::StockEvent{event},
                                           {platform::NewUuid(), "/command-test", std::nullopt, std::nullopt});
    auto queued = (*producer)->Produce(inventory_topic_, record.key, record.value, record.headers,
                                       [&failed](const platform::DeliveryReport& report) {
                                         if (report.outcome != platform::DeliveryReport::Outcome::kPersisted) ++failed;
                                       });
    ASSERT_TRUE(queued) << queued.error().message;
  };
  auto order = [](int n) {
    const std::string digits = std::to_string(n);
    return "00000000-0000-4000-8000-" + std::string(12 - digits.size(), '0') + digits;
  };
  produce(domain::StockSet{sku, 0, month_ago, 1000});
  produce(domain::StockReserved{sku, 0, month_ago, order(0), 2});  // never settled: stays
  for (int n = 1; n <= 600; ++n) {
    const auto at = n <= 300 ? month_ago : day_ago;
    produce(domain::StockReserved{sku, 0, at, order(n), 1});
    produce(domain::StockCommitted{sku, 0, at, order(n), 1});
  }
  ASSERT_TRUE((*producer)->Flush(30000));
  ASSERT_EQ(failed.load(), 0);

  const std::string forgotten = "orders_command_settled_reservations_forgotten_total";
  EXPECT_TRUE(Eventually([&] { return Metric(forgotten) == 300; }, std::chrono::seconds(30)))
      << Metric(forgotten) << "\n"
      << Get("/metrics").body;
  json before;
  ASSERT_TRUE(Eventually([&] { return (before = Stock(sku))["version"] == 1202; }, std::chrono::seconds(30))) << before;
  EXPECT_EQ(before["onHand"], 400) << before;
  EXPECT_EQ(before["reserved"], 2) << before;

  // From the store: its record had already forgotten them; nothing is left to forget.
  ASSERT_EQ(StopService(), 0) << service_->LogText();
  StartService();
  EXPECT_EQ(InventoryMetric("orders_command_rebuild_events"), 0) << Get("/metrics").body;
  EXPECT_EQ(ServedStock(sku), before);
  EXPECT_EQ(Metric(forgotten), 0);

  // Without it: the whole topic again, and the same ones forgotten.
  ASSERT_EQ(StopService(), 0);
  std::filesystem::remove_all(state_dir_);
  StartService();
  EXPECT_EQ(InventoryMetric("orders_command_rebuild_events"), 1202) << Get("/metrics").body;
  EXPECT_EQ(ServedStock(sku), before);
  EXPECT_EQ(Metric(forgotten), 300);
}

TEST(StateStoreSettingsAtStart, ABadOrderRetentionRefusesToStartTheCommandService) {
  ServiceProcess service(CommandServiceBinary(),
                         {{"AUTH", "off"}, {"KAFKA_BROKERS", "127.0.0.1:1"}, {"ORDER_RETENTION", "forever"}});
  EXPECT_FALSE(service.Start(std::chrono::seconds(10)));
  EXPECT_NE(service.LogText().find("ORDER_RETENTION must be a duration"), std::string::npos) << service.LogText();
}

}  // namespace
}  // namespace orders::testing

// What the order cache's byte estimate is worth: a notifier reads many orders,
// and its RSS growth is compared with what the cache says it holds; then a
// notifier with a small budget reads the same orders and stays near it.
// Prints the figures docs/capacity.md quotes.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>

namespace orders::testing {
namespace {

using domain::Status;

double Metric(std::uint16_t port, const std::string& series) {
  std::istringstream lines(HttpRequest(port, "GET", "/metrics").body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

long RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

constexpr int kOrders = 20000;
constexpr int kEventsPerOrder = 4;

class NotifierCacheMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("ncm");
    ASSERT_EQ(CreateTopic(topic_, 3), "");
  }

  std::unique_ptr<ServiceProcess> Notifier(const std::string& budget) {
    auto notifier = std::make_unique<ServiceProcess>(NotifierBinary(), std::map<std::string, std::string>{
                                                                           {"ORDERS_TOPIC", topic_},
                                                                           {"NOTIFIER_CACHE_BYTES", budget},
                                                                           {"WEBHOOKS", "off"},
                                                                           {"NOTIFIER_READ_MODEL_LOOKUP", "off"},
                                                                           {"COMMAND_API_URL", "http://127.0.0.1:9"},
                                                                       });
    EXPECT_TRUE(notifier->Start()) << notifier->LogText();
    EXPECT_TRUE(Eventually([&] { return HttpRequest(notifier->port(), "GET", "/readyz").status == 200; },
                           std::chrono::seconds(60)));
    return notifier;
  }

  void ProduceOrders() {
    auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "notifier-cache-memory-test", "", {}});
    ASSERT_TRUE(producer) << producer.error().message;
    std::atomic<int> delivered{0};
    int produced = 0;
    auto produce = [&](const domain::Event& event) {
      const auto record =
          codec::EncodeEvent(event, {platform::NewUuid(), "/test", std::nullopt, std::nullopt, std::nullopt});
      while (!(*producer)->Produce(topic_, record.key, record.value, record.headers,
                                   [&](const platform::DeliveryReport&) { ++delivered; })) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ++produced;
    };
    for (int i = 0; i < kOrders; ++i) {
      const std::string id = platform::NewUuid();
      auto placed = Placed(id, At(1764000000000 + i));
      placed.customer_id = "customer-" + std::to_string(i % 5000);
      produce(placed);
      produce(Changed(2, Status::kPending, Status::kConfirmed, id));
      produce(Changed(3, Status::kConfirmed, Status::kShipped, id));
      produce(Changed(4, Status::kShipped, Status::kDelivered, id));
    }
    ASSERT_TRUE(Eventually([&] { return delivered.load() == produced; }, std::chrono::seconds(120)));
  }

  static void WaitRead(ServiceProcess& notifier) {
    ASSERT_TRUE(
        Eventually([&] { return Metric(notifier.port(), "orders_notifier_events_total") >= kOrders * kEventsPerOrder; },
                   std::chrono::seconds(180)));
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the gauges are refreshed every 100 ms
  }

  std::string topic_;
};

TEST_F(NotifierCacheMemoryTest, TheEstimateFollowsTheProcessAndTheBudgetBoundsIt) {
  auto unbounded = Notifier("1GiB");
  const long idle_kb = RssKb(unbounded->pid());
  ProduceOrders();
  WaitRead(*unbounded);
  const long full_kb = RssKb(unbounded->pid());
  const double estimate = Metric(unbounded->port(), "orders_notifier_cache_bytes");
  EXPECT_EQ(Metric(unbounded->port(), "orders_notifier_cached_orders"), kOrders);
  const double rss_growth = (full_kb - idle_kb) * 1024.0;
  std::cout << "orders cached: " << kOrders << ", estimate " << estimate / kOrders << " B/order, RSS growth "
            << rss_growth / kOrders << " B/order (idle RSS " << idle_kb << " kB, full " << full_kb << " kB)\n";
  EXPECT_GT(estimate, 0.5 * rss_growth) << "the estimate leaves out too much";
  EXPECT_LT(estimate, 1.5 * rss_growth) << "the estimate charges more than the process holds";
  unbounded->Stop();

  auto bounded = Notifier("8MiB");
  WaitRead(*bounded);
  const long bounded_kb = RssKb(bounded->pid());
  const double held = Metric(bounded->port(), "orders_notifier_cache_bytes");
  std::cout << "8 MiB budget reached: " << Metric(bounded->port(), "orders_notifier_cached_orders")
            << " orders held, estimate " << held << " B, evictions "
            << Metric(bounded->port(), "orders_notifier_cache_evictions_total") << ", RSS " << bounded_kb
            << " kB (idle " << idle_kb << " kB)\n";
  EXPECT_LE(held, 8 * 1024 * 1024);
  EXPECT_LT(bounded_kb - idle_kb, full_kb - idle_kb) << "the budget bounds the process";
}

}  // namespace
}  // namespace orders::testing

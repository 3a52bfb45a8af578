// What the order cache's byte estimate is worth: two notifiers replay the same
// orders, one with a budget that holds them all and one with a small one; the
// difference in RSS per extra cached order is compared with the difference in
// what their caches say they hold. Prints the figures docs/capacity.md quotes.
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
  ProduceOrders();
  // Both notifiers replay the same log from the start, so the Kafka client's buffers and
  // everything else but the cache cost them alike: the difference between them is the cache.
  struct Reading {
    long rss_kb;
    double estimate;
    double orders;
  };
  auto read_with = [&](const std::string& budget) {
    auto notifier = Notifier(budget);
    WaitRead(*notifier);
    const Reading reading{RssKb(notifier->pid()), Metric(notifier->port(), "orders_notifier_cache_bytes"),
                          Metric(notifier->port(), "orders_notifier_cached_orders")};
    std::cout << "budget " << budget << ": " << reading.orders << " orders held, estimate " << reading.estimate
              << " B, evictions " << Metric(notifier->port(), "orders_notifier_cache_evictions_total") << ", RSS "
              << reading.rss_kb << " kB\n";
    return reading;
  };
  const Reading bounded = read_with("8MiB");
  const Reading unbounded = read_with("1GiB");
  EXPECT_LE(bounded.estimate, 8 * 1024 * 1024);
  EXPECT_EQ(unbounded.orders, kOrders);
  ASSERT_GT(unbounded.orders, bounded.orders);
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan (./infra/test.sh --sanitize) every freed buffer waits in the allocator's quarantine, so the
  // notifier that evicts holds more resident memory than the one that keeps every order (666 MB against
  // 611 MB measured): RSS says nothing about the cache there, only the budget checks above do.
  return;
#endif
  const double extra_orders = unbounded.orders - bounded.orders;
  const double rss_per_order = (unbounded.rss_kb - bounded.rss_kb) * 1024.0 / extra_orders;
  const double estimate_per_order = (unbounded.estimate - bounded.estimate) / extra_orders;
  std::cout << "per cached order (4 events): estimate " << estimate_per_order << " B, RSS " << rss_per_order << " B\n";
  EXPECT_GT(estimate_per_order, 0.4 * rss_per_order) << "the estimate leaves out too much";
  EXPECT_LT(estimate_per_order, 1.5 * rss_per_order) << "the estimate charges more than the process holds";
}

}  // namespace
}  // namespace orders::testing

// Measures how fast the command service rebuilds its state from the log:
// writes N placement + status events to a fresh topic, starts the real
// command-service and times start → /readyz 200. Prints events/s and the
// service's own rebuild figure from its log.
//
//   command_rebuild_bench [events=1000000]   (KAFKA_BROKERS as for the tests)

#include <chrono>
#include <cstdio>
#include <string>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>

using namespace orders;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const long events = argc > 1 ? std::stol(argv[1]) : 1000000;
  const std::string topic = testing::UniqueName("bench-rebuild");
  if (auto error = testing::CreateTopic(topic, 6); !error.empty()) {
    std::fprintf(stderr, "cannot create topic: %s\n", error.c_str());
    return 1;
  }
  auto created = platform::KafkaProducer::Create(
      {testing::KafkaBrokers(),
       "bench",
       "",
       {{"linger.ms", "20"}, {"batch.num.messages", "10000"}, {"queue.buffering.max.messages", "1000000"}}});
  if (!created) return 1;
  auto& producer = *created;

  // Half placements, half confirmations of those orders.
  const auto write_start = Clock::now();
  const auto at = domain::Timestamp{std::chrono::milliseconds(1764000000000)};
  long written = 0;
  std::string order_id;
  for (long i = 0; i < events; ++i) {
    domain::Event event;
    if (i % 2 == 0) {
      order_id = platform::NewUuid();
      event = domain::OrderPlaced{
          order_id, 1,   at, "customer-" + std::to_string(i % 1000), {{"sku-1", 2, 1250}, {"sku-2", 1, 500}},
          "USD",    3000};
    } else {
      event =
          domain::StatusChanged{order_id, 2, at, domain::Status::kPending, domain::Status::kConfirmed, std::nullopt};
    }
    const auto record = codec::EncodeEvent(event, {platform::NewUuid(), "/bench", std::nullopt, std::nullopt});
    while (
        !producer->Produce(topic, record.key, record.value, record.headers, [&written](const auto&) { ++written; })) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  producer->Flush(120000);
  const double write_seconds = std::chrono::duration<double>(Clock::now() - write_start).count();

  testing::ServiceProcess service(testing::CommandServiceBinary(), {{"ORDERS_TOPIC", topic}});
  const auto start = Clock::now();
  if (!service.Start()) return 1;
  const bool ready =
      testing::Eventually([&] { return testing::HttpRequest(service.port(), "GET", "/readyz").status == 200; },
                          std::chrono::minutes(10), std::chrono::milliseconds(20));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::string rss = "?";
  if (FILE* status = std::fopen(("/proc/" + std::to_string(service.pid()) + "/status").c_str(), "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, status)) {
      if (std::string(line).rfind("VmRSS:", 0) == 0) rss = std::string(line + 6);
    }
    std::fclose(status);
  }
  service.Stop();
  if (!ready) {
    std::fprintf(stderr, "service did not become ready\n");
    return 1;
  }
  std::printf("events=%ld written_in=%.2fs rebuild_to_ready=%.2fs rate=%.0f events/s rss_after=%s", events,
              write_seconds, seconds, events / seconds, rss.c_str());
  for (const auto& line : service.LogLines()) {
    if (line.find("command state rebuilt") != std::string::npos) std::printf("%s\n", line.c_str());
  }
  return 0;
}

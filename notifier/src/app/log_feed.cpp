#include <orders/notifier/log_feed.hpp>

#include <orders/platform/log.hpp>

namespace orders::notifier {

namespace {

void WarnUndecodable(const platform::ConsumedRecord& record, const std::string& error) {
  platform::LogWarn(
      "skipping undecodable record",
      {{"topic", record.topic}, {"partition", record.partition}, {"offset", record.offset}, {"error", error}});
}

}  // namespace

LogFeed::LogFeed(platform::KafkaSettings settings, std::string topic, asio::io_context& io, Hub& hub,
                 platform::MetricsRegistry& metrics)
    : events_(metrics.AddCounter("orders_notifier_events_total", "Events read from the log")),
      poison_(metrics.AddCounter("orders_notifier_poison_total", "Log records that could not be decoded")),
      poster_(io, [&hub](const codec::DecodedEvent& decoded) { hub.OnEvent(decoded.event, decoded.metadata); }),
      tail_(std::move(settings), std::move(topic),
            {[this](const platform::ConsumedRecord& record) { OnRecord(record); },
             [](double seconds) {
               platform::LogInfo("order cache built from the log", {{"seconds", seconds}});
             },
             [this](platform::KafkaConsumer&, const platform::PartitionOffsets&) { poster_.Flush(); }}) {}

void LogFeed::OnRecord(const platform::ConsumedRecord& record) {
  auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
  if (!decoded.decoded) {
    poison_.Inc();
    WarnUndecodable(record, decoded.error);
    return;
  }
  events_.Inc();
  poster_.Add(std::move(*decoded.decoded));
}

InventoryFeed::InventoryFeed(platform::KafkaSettings settings, std::string topic, asio::io_context& io, Hub& hub,
                             platform::MetricsRegistry& metrics)
    : events_(metrics.AddCounter("orders_notifier_inventory_events_total", "Events read from the inventory topic")),
      poison_(metrics.AddCounter("orders_notifier_inventory_poison_total",
                                 "Inventory topic records that could not be decoded")),
      following_(metrics.AddGauge("orders_notifier_inventory_following",
                                  "1 once the notifier follows the inventory topic (for topic subscriptions)")),
      poster_(io,
              [&hub](const codec::DecodedStockEvent& decoded) { hub.OnStockEvent(decoded.event, decoded.metadata); }),
      tail_(std::move(settings), std::move(topic),
            {[this](const platform::ConsumedRecord& record) { OnRecord(record); },
             [this](double) {
               following_.Set(1);
               platform::LogInfo("following the inventory topic from its end (for topic subscriptions)");
             },
             [this](platform::KafkaConsumer&, const platform::PartitionOffsets&) { poster_.Flush(); }},
            platform::TailStart::kEnd) {}

void InventoryFeed::OnRecord(const platform::ConsumedRecord& record) {
  auto decoded = codec::DecodeStockEvent(record.key, record.value, record.headers);
  if (!decoded.decoded) {
    poison_.Inc();
    WarnUndecodable(record, decoded.error);
    return;
  }
  events_.Inc();
  poster_.Add(std::move(*decoded.decoded));
}

}  // namespace orders::notifier

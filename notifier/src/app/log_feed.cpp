#include <orders/notifier/log_feed.hpp>

#include <thread>

#include <orders/codec/event_codec.hpp>
#include <orders/platform/log.hpp>

namespace orders::notifier {

LogFeed::LogFeed(platform::KafkaSettings settings, std::string topic, asio::io_context& io, Hub& hub,
                 platform::MetricsRegistry& metrics)
    : io_(io),
      hub_(hub),
      events_(metrics.AddCounter("orders_notifier_events_total", "Events read from the log")),
      poison_(metrics.AddCounter("orders_notifier_poison_total", "Log records that could not be decoded")),
      tail_(std::move(settings), std::move(topic),
            {[this](const platform::ConsumedRecord& record) { OnRecord(record); },
             [](double seconds) {
               platform::LogInfo("order cache built from the log", {{"seconds", seconds}});
             },
             [this](platform::KafkaConsumer&, const platform::PartitionOffsets&) { Flush(); }}) {}

void LogFeed::OnRecord(const platform::ConsumedRecord& record) {
  auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
  if (!decoded.decoded) {
    poison_.Inc();
    platform::LogWarn("skipping undecodable record", {{"topic", record.topic},
                                                      {"partition", record.partition},
                                                      {"offset", record.offset},
                                                      {"error", decoded.error}});
    return;
  }
  events_.Inc();
  batch_.push_back(std::move(decoded.decoded->event));
  if (batch_.size() >= kBatch) Flush();
}

void LogFeed::Flush() {
  if (batch_.empty()) return;
  while (pending_.load() > kMaxPending) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  pending_ += static_cast<std::int64_t>(batch_.size());
  asio::post(io_, [this, events = std::move(batch_)] {
    for (const auto& event : events) hub_.OnEvent(event);
    pending_ -= static_cast<std::int64_t>(events.size());
  });
  batch_.clear();
}

}  // namespace orders::notifier

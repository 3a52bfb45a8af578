#include <orders/invariants/webhook_sources.hpp>

#include <orders/codec/event_codec.hpp>
#include <orders/testing/topic_reader.hpp>

namespace orders::invariants {

std::vector<WebhookLogEvent> ReadWebhookLog(const std::string& topic) {
  std::vector<WebhookLogEvent> log;
  for (const auto& record : testing::ReadWholeTopic(topic)) {
    const auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
    if (!decoded.decoded) continue;
    WebhookLogEvent event;
    event.id = decoded.decoded->metadata.event_id;
    for (const auto& [name, value] : record.headers) {
      if (name == "ce_type") event.type = value;
    }
    event.order_id = domain::OrderIdOf(decoded.decoded->event);
    event.version = domain::VersionOf(decoded.decoded->event);
    event.appended_ms = record.timestamp_ms;
    log.push_back(std::move(event));
  }
  return log;
}

}  // namespace orders::invariants

#pragma once
// The notifier's consumers, one per stream, each on its own thread:
//
// LogFeed reads every partition of the orders topic from the beginning
// (platform::LogTail), decodes each record and hands the events with their
// metadata (the event id, for topic messages), in batches and in log order, to
// the hub's io thread, which folds them into the order cache.
//
// InventoryFeed follows the inventory topic from its end: its events go only to
// topic subscriptions, which carry live events, so its history is not read and
// nothing of it is kept (the order cache never sees it). It does not take part
// in readiness: a missing or empty inventory topic leaves the notifier ready;
// the gauge orders_notifier_inventory_following turns 1 once it follows the topic.
//
// Neither blocks on the WebSocket side; if the io thread falls behind, the
// consumer waits (bounded memory, HubPoster) rather than dropping anything.

#include <string>

#include <asio.hpp>
#include <orders/codec/event_codec.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/notifier/hub_poster.hpp>
#include <orders/platform/log_tail.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::notifier {

class LogFeed {
 public:
  LogFeed(platform::KafkaSettings settings, std::string topic, asio::io_context& io, Hub& hub,
          platform::MetricsRegistry& metrics);

  void Start() { tail_.Start(); }
  void Stop() { tail_.Stop(); }
  bool CaughtUp() const { return tail_.CaughtUp(); }

 private:
  void OnRecord(const platform::ConsumedRecord& record);

  platform::Counter& events_;
  platform::Counter& poison_;
  HubPoster<codec::DecodedEvent> poster_;
  platform::LogTail tail_;  // last: its thread uses the members above
};

class InventoryFeed {
 public:
  InventoryFeed(platform::KafkaSettings settings, std::string topic, asio::io_context& io, Hub& hub,
                platform::MetricsRegistry& metrics);

  void Start() { tail_.Start(); }
  void Stop() { tail_.Stop(); }

 private:
  void OnRecord(const platform::ConsumedRecord& record);

  platform::Counter& events_;
  platform::Counter& poison_;
  platform::Gauge& following_;
  HubPoster<codec::DecodedStockEvent> poster_;
  platform::LogTail tail_;  // last: its thread uses the members above
};

}  // namespace orders::notifier

// The hub's topic subscriptions: which sessions a named event goes to, and the
// inventory stream, which reaches the hub for them alone.
#include <algorithm>

#include <orders/codec/event_topics.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/notifier/hub.hpp>

namespace orders::notifier {

namespace {

// The order a reservation event names; nullptr for a stock level (stock_set).
const std::string* OrderIdOf(const domain::StockEvent& event) {
  return std::visit(
      [](const auto& payload) -> const std::string* {
        if constexpr (requires { payload.order_id; }) {
          return &payload.order_id;
        } else {
          return nullptr;
        }
      },
      event);
}

}  // namespace

void Hub::PublishToTopics(std::string_view event_name, const std::function<bool(const Session&)>& may_receive,
                          const std::function<std::string()>& render) {
  // A handful of patterns at most (every name, two wildcards, "*"), so a scan is cheap.
  auto& recipients = topic_scratch_;
  recipients.clear();
  for (const auto& [pattern, ids] : by_topic_) {
    if (codec::MatchesEventPattern(pattern, event_name)) recipients.insert(recipients.end(), ids.begin(), ids.end());
  }
  if (recipients.empty()) return;
  // Once per session, however many of its patterns match.
  std::sort(recipients.begin(), recipients.end());
  recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());
  std::optional<std::string> text;
  for (SessionId id : recipients) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || !may_receive(it->second)) continue;
    if (!text) text = render();
    ++stats_.topic_messages_delivered;
    Send(it->second, *text);
  }
}

bool Hub::MayReceiveStockEvent(const Session& session, const domain::StockEvent& event) const {
  if (domain::IsStaffOrService(session.actor)) return true;
  const std::string* order_id = OrderIdOf(event);
  // A stock level is what every role may read (GET /inventory/{productId}).
  if (!order_id) return true;
  // A reservation tells which order holds which product: only for those who
  // may see that order. One the notifier does not know (yet) is not shown.
  const CachedOrder* cached = cache_.Find(*order_id);
  return cached && domain::MaySee(session.actor, cached->order);
}

bool Hub::FirstTimeSeen(const domain::StockEvent& event) {
  const std::string& product_id = domain::ProductIdOf(event);
  const std::int64_t version = domain::VersionOf(event);
  auto [it, inserted] = stock_versions_.try_emplace(product_id, version);
  if (!inserted) {
    if (version <= it->second) return false;
    it->second = version;
    return true;
  }
  if (stock_versions_.size() > limits_.max_tracked_products) {
    // Bounded memory: start afresh (only a redelivery arriving right after this could pass twice).
    stock_versions_.clear();
    stock_versions_.emplace(product_id, version);
  }
  return true;
}

void Hub::OnStockEvent(const domain::StockEvent& event, const codec::EventMetadata& metadata) {
  if (!FirstTimeSeen(event) || by_topic_.empty()) return;
  PublishToTopics(
      codec::EventName(event), [&](const Session& session) { return MayReceiveStockEvent(session, event); },
      [&] { return TopicMessage(codec::EventName(event), metadata.event_id, codec::EventPayloadToJson(event)); });
  const std::string* order_id = OrderIdOf(event);
  if (!order_id || cache_.Find(*order_id)) return;
  // Its order's placement has not been read yet (the streams are read apart): keep it for that.
  if (held_stock_count_ >= limits_.max_held_stock_events) {
    held_stock_.clear();
    held_stock_count_ = 0;
  }
  held_stock_[*order_id].push_back({event, metadata.event_id});
  ++held_stock_count_;
}

void Hub::ReleaseHeldStockEvents(const std::string& order_id) {
  if (held_stock_.empty()) return;
  auto it = held_stock_.find(order_id);
  if (it == held_stock_.end()) return;
  const auto held = std::move(it->second);
  held_stock_.erase(it);
  held_stock_count_ -= held.size();
  for (const HeldStockEvent& one : held) {
    PublishToTopics(
        codec::EventName(one.event),
        [&](const Session& session) {
          return !domain::IsStaffOrService(session.actor) && MayReceiveStockEvent(session, one.event);
        },
        [&] { return TopicMessage(codec::EventName(one.event), one.event_id, codec::EventPayloadToJson(one.event)); });
  }
}

}  // namespace orders::notifier

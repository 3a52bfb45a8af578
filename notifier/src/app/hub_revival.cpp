// Live orders the cache dropped, held again from the read model (hub.hpp's
// header comment): the bookkeeping of the events held meanwhile and of the
// questions asked.
#include <orders/notifier/hub.hpp>
#include <orders/platform/log.hpp>

namespace orders::notifier {

bool Hub::MayRevive() const { return lookup_ && cache_.evicted_any() && !sessions_.empty(); }

void Hub::HoldForRevival(const domain::Event& event, const codec::EventMetadata& metadata) {
  const std::string& order_id = domain::OrderIdOf(event);
  auto [it, started] = revivals_.try_emplace(order_id);
  if (revival_events_ >= limits_.max_revival_events) {
    if (started) revivals_.erase(it);
    GiveUpRevival(order_id);
    return;
  }
  it->second.held.emplace_back(event, metadata);
  ++revival_events_;
  if (started) AskForRevival(order_id);
}

void Hub::AskForRevival(const std::string& order_id) {
  Revival& revival = revivals_.at(order_id);
  revival.ticket = next_lookup_++;
  revival.asking = true;
  lookup_->Find(order_id, [this, order_id, ticket = revival.ticket](OrderLookupResult result) {
    OnRevivalLookup(order_id, ticket, std::move(result));
  });
}

void Hub::OnRevivalLookup(const std::string& order_id, std::uint64_t ticket, OrderLookupResult result) {
  auto it = revivals_.find(order_id);
  if (it == revivals_.end() || it->second.ticket != ticket) return;  // given up since
  Revival& revival = it->second;
  revival.asking = false;
  const std::int64_t first_held = domain::VersionOf(revival.held.front().first);
  // The read model folds the same log a little later than this hub reads it:
  // behind (or absent, or failing), it is asked again at the next Tick.
  if (result.outcome != OrderLookupResult::Outcome::kFound || !result.order || result.order->version < first_held - 1) {
    return;
  }
  Revive(order_id, *result.order);
}

void Hub::Revive(const std::string& order_id, const domain::Order& order) {
  auto node = revivals_.extract(order_id);
  std::vector<std::pair<domain::Event, codec::EventMetadata>> held = std::move(node.mapped().held);
  revival_events_ -= held.size();
  cache_.Seed(order);
  ++stats_.orders_revived;
  const domain::Event* newest_told = nullptr;  // the newest held event the read model's state already has
  for (const auto& [event, metadata] : held) {
    if (domain::VersionOf(event) <= order.version) newest_told = &event;
  }
  if (newest_told) {
    ++stats_.revived_from_newer_state;
    TellNewerState(order, *newest_told);
  }
  ResolveWaiting(order_id);  // subscribes waiting on the read model: the cache answers now
  for (const auto& [event, metadata] : held) {
    if (domain::VersionOf(event) > order.version) OnEvent(event, metadata);
  }
}

void Hub::GiveUpRevival(const std::string& order_id) {
  std::size_t dropped = 0;
  if (auto it = revivals_.find(order_id); it != revivals_.end()) {
    dropped = it->second.held.size();
    revival_events_ -= dropped;
    revivals_.erase(it);
  }
  ++stats_.revivals_given_up;
  platform::LogWarn("a dropped live order could not be held again; its followers miss updates until its next event",
                    {{"orderId", order_id}, {"eventsDropped", static_cast<std::int64_t>(dropped)}});
}

void Hub::TickRevivals(Clock::time_point now) {
  std::vector<std::string> ask;
  std::vector<std::string> give_up;
  for (auto& [order_id, revival] : revivals_) {
    if (!revival.first_tick) revival.first_tick = now;
    if (now - *revival.first_tick >= limits_.revival_timeout) {
      give_up.push_back(order_id);
    } else if (!revival.asking) {
      ask.push_back(order_id);
    }
  }
  for (const auto& order_id : give_up) GiveUpRevival(order_id);
  for (const auto& order_id : ask) AskForRevival(order_id);
}

}  // namespace orders::notifier

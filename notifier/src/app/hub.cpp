#include <orders/notifier/hub.hpp>

#include <algorithm>

#include <orders/domain/evolve.hpp>

namespace orders::notifier {

bool Hub::MaySee(const Session& session, const std::optional<std::string>& customer_id) {
  if (!session.principal || session.principal->role != platform::Role::kCustomer) return true;
  return customer_id && *customer_id == session.principal->subject;
}

void Hub::Attach(SessionId id, Sink& sink, std::optional<platform::Principal> principal) {
  Session session;
  session.sink = &sink;
  session.principal = std::move(principal);
  session.tokens = limits_.message_burst;
  if (session.principal && session.principal->expires_at != std::chrono::system_clock::time_point::max()) {
    expiries_.emplace(session.principal->expires_at, id);
  }
  sessions_.emplace(id, std::move(session));
  stats_.sessions = sessions_.size();
}

void Hub::Detach(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  const auto selectors = it->second.selectors;
  for (const auto& selector : selectors) Unsubscribe(id, it->second, selector);
  if (it->second.principal) expiries_.erase({it->second.principal->expires_at, id});
  sessions_.erase(it);
  for (auto& [order_id, waits] : waiting_) {
    std::erase_if(waits, [id](const Waiting& waiting) { return waiting.session == id; });
  }
  stats_.sessions = sessions_.size();
}

void Hub::Send(Session& session, const std::string& text) {
  ++stats_.messages_sent;
  session.sink->SendText(text);
}

bool Hub::TakeToken(Session& session, Clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - session.refilled).count();
  session.refilled = now;
  session.tokens = std::min(limits_.message_burst, session.tokens + elapsed * limits_.messages_per_second);
  if (session.tokens >= 1) {
    session.tokens -= 1;
    session.refused_in_a_row = 0;
    return true;
  }
  ++stats_.rate_limited;
  ++session.refused_in_a_row;
  return false;
}

void Hub::OnClientText(SessionId id, std::string_view text, Clock::time_point now) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& session = it->second;
  if (!TakeToken(session, now)) {
    // A client that keeps flooding after being told is cut off.
    if (session.refused_in_a_row > 3 * static_cast<int>(limits_.message_burst)) {
      session.sink->Close(1008, "message rate limit exceeded");
      return;
    }
    if (session.refused_in_a_row == 1) Send(session, ErrorMessage("rate_limited", "too many messages; slow down"));
    return;
  }
  const ClientMessage message = ParseClientMessage(text);
  switch (message.type) {
    case ClientMessage::Type::kInvalid:
      Send(session, ErrorMessage(text.size() > kMaxClientMessageBytes ? "too_large" : "bad_request", message.error));
      return;
    case ClientMessage::Type::kPing:
      ++stats_.messages_sent;
      session.sink->SendPong(PongMessage());
      return;
    case ClientMessage::Type::kLookup: {
      // Another customer's order is treated as one not seen (yet): the same
      // answer after the same wait, so nothing tells that it exists.
      const auto* cached = cache_.Find(message.selector.value);
      if (cached && MaySee(session, cached->order.customer_id)) {
        Send(session, LookupAnswer(&cached->order));
      } else {
        waiting_[message.selector.value].push_back({id, true, std::nullopt, now + limits_.not_found_wait});
      }
      return;
    }
    case ClientMessage::Type::kSubscribe:
      Subscribe(id, session, message, now);
      return;
    case ClientMessage::Type::kUnsubscribe:
      Unsubscribe(id, session, message.selector);
      return;
  }
}

void Hub::Subscribe(SessionId id, Session& session, const ClientMessage& message, Clock::time_point now) {
  const Selector& selector = message.selector;
  const bool pending = selector.kind == Selector::Kind::kOrder && session.pending_orders.count(selector.value);
  if (pending) return;  // already waiting for this order; it is answered once
  // Subscriptions waiting for their order hold memory too, so they count.
  if (!session.selectors.count(selector) &&
      session.selectors.size() + session.pending_orders.size() >= limits_.max_subscriptions) {
    Send(session, ErrorMessage("rate_limited", "too many subscriptions on this connection"));
    return;
  }
  const bool allowed =
      selector.kind == Selector::Kind::kOrder ||
      MaySee(session,
             selector.kind == Selector::Kind::kCustomer ? std::optional<std::string>(selector.value) : std::nullopt);
  if (!allowed) {
    Send(session, ErrorMessage("forbidden", selector.kind == Selector::Kind::kAll
                                                ? "Following every order needs a staff or service token."
                                                : "Customers may follow only their own orders."));
    return;
  }
  switch (selector.kind) {
    case Selector::Kind::kOrder: {
      const auto* cached = cache_.Find(selector.value);
      if (!cached || !MaySee(session, cached->order.customer_id)) {
        // Not seen yet, or another customer's: wait, then not_found (the same
        // answer at the same time for both, so existence is not revealed).
        session.pending_orders.insert(selector.value);
        waiting_[selector.value].push_back({id, false, message.since_version, now + limits_.not_found_wait});
        return;
      }
      session.selectors.insert(selector);
      by_order_[selector.value].insert(id);
      StartOrderStream(session, *cached, message.since_version);
      return;
    }
    case Selector::Kind::kCustomer:
      session.selectors.insert(selector);
      by_customer_[selector.value].insert(id);
      SendSnapshotPages(session, selector, cache_.NewestOfCustomer(selector.value, limits_.customer_snapshot_size));
      return;
    case Selector::Kind::kAll:
      session.selectors.insert(selector);
      all_.insert(id);
      SendSnapshotPages(session, selector, cache_.Newest(limits_.snapshot_list_size));
      return;
  }
}

void Hub::SendSnapshotPages(Session& session, const Selector& selector,
                            const std::vector<const domain::Order*>& orders) {
  for (const auto& page : SnapshotPages(selector, orders, limits_.snapshot_paging)) {
    ++stats_.messages_sent;
    session.sink->SendSnapshotPage(page);
  }
}

void Hub::StartOrderStream(Session& session, const CachedOrder& cached, std::optional<std::int64_t> since) {
  const domain::Order& order = cached.order;
  if (since && *since <= order.version) {
    // Resume: replay exactly what the client missed.
    for (const auto& event : cached.events) {
      if (domain::VersionOf(event) <= *since) continue;
      if (std::holds_alternative<domain::OrderPlaced>(event)) {
        // The placement carries the order as it was placed, as it did live.
        std::optional<domain::Order> as_placed;
        domain::Apply(as_placed, event);
        Send(session, UpdateMessage(event, &*as_placed));
      } else {
        Send(session, UpdateMessage(event, nullptr));
      }
    }
  } else {
    // A fresh subscription, or a client that claims versions we never saw.
    Send(session, SnapshotMessage(order, /*recovered=*/!since.has_value()));
  }
  session.last_sent[order.order_id] = order.version;
}

void Hub::Unsubscribe(SessionId id, Session& session, const Selector& selector) {
  if (selector.kind == Selector::Kind::kOrder) {
    // A subscription still waiting for its order to appear is withdrawn too.
    if (auto waiting = waiting_.find(selector.value); waiting != waiting_.end()) {
      std::erase_if(waiting->second, [id](const Waiting& wait) { return wait.session == id && !wait.lookup; });
      if (waiting->second.empty()) waiting_.erase(waiting);
    }
    session.pending_orders.erase(selector.value);
  }
  if (!session.selectors.erase(selector)) return;
  auto drop = [id](auto& index, const std::string& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(id);
    if (it->second.empty()) index.erase(it);
  };
  switch (selector.kind) {
    case Selector::Kind::kOrder:
      drop(by_order_, selector.value);
      session.last_sent.erase(selector.value);
      break;
    case Selector::Kind::kCustomer:
      drop(by_customer_, selector.value);
      break;
    case Selector::Kind::kAll:
      all_.erase(id);
      break;
  }
}

void Hub::OnEvent(const domain::Event& event, Clock::time_point now) {
  domain::ApplyOutcome outcome;
  const CachedOrder* cached = cache_.Apply(event, outcome);
  (void)now;
  if (!cached) return;  // duplicate (redelivery) or not applicable: nothing new to tell
  const std::string& order_id = cached->order.order_id;
  const std::int64_t version = domain::VersionOf(event);

  // Every session interested once, in id order; the vector is reused, so a
  // fan-out to thousands of sessions allocates nothing per event.
  auto& interested = interested_scratch_;
  interested.assign(all_.begin(), all_.end());
  if (auto it = by_order_.find(order_id); it != by_order_.end()) {
    interested.insert(interested.end(), it->second.begin(), it->second.end());
  }
  if (auto it = by_customer_.find(cached->order.customer_id); it != by_customer_.end()) {
    interested.insert(interested.end(), it->second.begin(), it->second.end());
  }
  std::sort(interested.begin(), interested.end());
  interested.erase(std::unique(interested.begin(), interested.end()), interested.end());
  if (!interested.empty()) {
    const std::string message =
        UpdateMessage(event, std::holds_alternative<domain::OrderPlaced>(event) ? &cached->order : nullptr);
    for (SessionId id : interested) {
      auto it = sessions_.find(id);
      if (it == sessions_.end()) continue;
      Session& session = it->second;
      if (auto last = session.last_sent.find(order_id); last != session.last_sent.end()) {
        if (version <= last->second) continue;  // already in the snapshot or replay
        last->second = version;
      }
      ++stats_.updates_delivered;
      Send(session, message);
    }
  }
  if (std::holds_alternative<domain::OrderPlaced>(event)) ResolveWaiting(order_id);
}

void Hub::ResolveWaiting(const std::string& order_id) {
  auto it = waiting_.find(order_id);
  if (it == waiting_.end()) return;
  auto waits = std::move(it->second);
  waiting_.erase(it);
  const auto* cached = cache_.Find(order_id);
  for (const auto& waiting : waits) {
    auto session = sessions_.find(waiting.session);
    if (session == sessions_.end() || !cached) continue;
    if (!MaySee(session->second, cached->order.customer_id)) {
      waiting_[order_id].push_back(waiting);  // answered not_found at its deadline, as if never seen
      continue;
    }
    if (waiting.lookup) {
      Send(session->second, LookupAnswer(&cached->order));
      continue;
    }
    const Selector selector{Selector::Kind::kOrder, order_id};
    session->second.pending_orders.erase(order_id);
    session->second.selectors.insert(selector);
    by_order_[order_id].insert(waiting.session);
    StartOrderStream(session->second, *cached, waiting.since);
  }
}

void Hub::ExpireTokens(std::chrono::system_clock::time_point wall_now) {
  while (!expiries_.empty() && expiries_.begin()->first <= wall_now) {
    const SessionId id = expiries_.begin()->second;
    expiries_.erase(expiries_.begin());
    // Close() detaches the session later (never synchronously), so the entry
    // is gone already and the session is closed once.
    if (auto session = sessions_.find(id); session != sessions_.end()) {
      session->second.sink->Close(1008, "token expired");
    }
  }
}

void Hub::Tick(Clock::time_point now, std::chrono::system_clock::time_point wall_now) {
  ExpireTokens(wall_now);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto& waits = it->second;
    for (auto wait = waits.begin(); wait != waits.end();) {
      if (wait->deadline > now) {
        ++wait;
        continue;
      }
      if (auto session = sessions_.find(wait->session); session != sessions_.end()) {
        if (!wait->lookup) session->second.pending_orders.erase(it->first);
        Send(session->second,
             wait->lookup ? LookupAnswer(nullptr) : ErrorMessage("not_found", "No order with this orderId."));
      }
      wait = waits.erase(wait);
    }
    it = waits.empty() ? waiting_.erase(it) : std::next(it);
  }
}

}  // namespace orders::notifier

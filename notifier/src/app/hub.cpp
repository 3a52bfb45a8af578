#include <orders/notifier/hub.hpp>

#include <algorithm>

#include <orders/codec/trace_context.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/platform/log.hpp>

namespace orders::notifier {

namespace {

domain::Actor ActorOf(const std::optional<platform::Principal>& principal) {
  if (!principal) return {domain::ActorRole::kStaff, {}};  // auth off
  switch (principal->role) {
    case platform::Role::kCustomer:
      return {domain::ActorRole::kCustomer, principal->subject};
    case platform::Role::kCourier:
      return {domain::ActorRole::kCourier, principal->subject};
    case platform::Role::kStaff:
      return {domain::ActorRole::kStaff, principal->subject};
    case platform::Role::kService:
      return {domain::ActorRole::kService, principal->subject};
  }
  return {domain::ActorRole::kCustomer, principal->subject};
}

bool IsCourier(const domain::Actor& actor) { return actor.role == domain::ActorRole::kCourier; }

// Whether `order` is in the open list of `actor` (a courier's leaves out what it declined).
bool InOpenList(const domain::Actor& actor, const domain::Order* order) {
  if (!order || !domain::IsOpenForDelivery(*order)) return false;
  return !IsCourier(actor) || !domain::HasDeclined(*order, actor.id);
}

}  // namespace

std::string_view Hub::RefusalOf(const Session& session, const Selector& selector) {
  const domain::Actor& actor = session.actor;
  if (domain::IsStaffOrService(actor)) return {};
  switch (selector.kind) {
    case Selector::Kind::kOrder:
    case Selector::Kind::kTopic:
      return {};  // decided per order, or per event
    case Selector::Kind::kAll:
      return "Following every order needs a staff or service token.";
    case Selector::Kind::kCustomer:
      if (actor.role == domain::ActorRole::kCustomer && selector.value == actor.id) return {};
      return actor.role == domain::ActorRole::kCustomer ? "Customers may follow only their own orders."
                                                        : "Following a customer needs a staff or service token.";
    case Selector::Kind::kCourier:
      if (IsCourier(actor) && selector.value == actor.id) return {};
      return IsCourier(actor) ? "Couriers may follow only their own deliveries."
                              : "Following a courier needs a courier, staff or service token.";
    case Selector::Kind::kOpenDeliveries:
      if (IsCourier(actor)) return {};
      return "Open deliveries are for couriers, staff and services.";
  }
  return "forbidden";
}

void Hub::Attach(SessionId id, Sink& sink, std::optional<platform::Principal> principal, std::string token) {
  Session session;
  session.sink = &sink;
  session.principal = std::move(principal);
  session.actor = ActorOf(session.principal);
  session.token = std::move(token);
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
  ShrinkIfSparse(sessions_);
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
  if (limits_.messages_per_second <= 0) return true;
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

void Hub::OnClientText(SessionId id, std::string_view text, Clock::time_point now,
                       std::chrono::system_clock::time_point wall_now) {
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
      Send(session,
           ErrorMessage(message.too_large ? "too_large" : "bad_request", message.error, message.command.request_id));
      return;
    case ClientMessage::Type::kPing:
      ++stats_.messages_sent;
      session.sink->SendPong(PongMessage());
      return;
    case ClientMessage::Type::kLookup: {
      // An order the caller may not see (another customer's, another
      // courier's) is treated as one not seen (yet): the same answer after the
      // same wait, so nothing tells that it exists (the command API's 404).
      const auto* cached = cache_.Find(message.selector.value);
      if (cached && domain::MaySee(session.actor, cached->order)) {
        Send(session, LookupAnswer(&cached->order));
      } else {
        waiting_[message.selector.value].push_back({id, true, std::nullopt, now + limits_.not_found_wait});
        if (!cached) LookUp(message.selector.value, now);
      }
      return;
    }
    case ClientMessage::Type::kSubscribe:
      Subscribe(id, session, message, now);
      return;
    case ClientMessage::Type::kUnsubscribe:
      Unsubscribe(id, session, message.selector);
      return;
    case ClientMessage::Type::kCommand:
      RunCommand(id, session, std::move(message.command), wall_now);
      return;
  }
}

void Hub::RunCommand(SessionId id, Session& session, CommandRequest command,
                     std::chrono::system_clock::time_point wall_now) {
  // Tick closes an expired session within its period; a command that races
  // that close is refused here rather than run with a dead token.
  if (session.principal && session.principal->expires_at <= wall_now) {
    Send(session, ErrorMessage("forbidden", "The connection's token has expired; reconnect with a fresh one.",
                               command.request_id));
    return;
  }
  if (session.commands_in_flight >= limits_.max_commands_in_flight) {
    Send(session, ErrorMessage("rate_limited", "too many commands waiting for their answer on this connection",
                               command.request_id));
    return;
  }
  const auto plan =
      PlanHttpCall(command, session.principal ? std::optional<std::string>(session.principal->subject) : std::nullopt);
  if (!plan.call) {
    Send(session, ErrorMessage("bad_request", plan.error, command.request_id));
    return;
  }
  if (!commands_) {
    Send(session, ResultMessage(command.request_id, 503,
                                {{"type", "about:blank"},
                                 {"title", "Service Unavailable"},
                                 {"status", 503},
                                 {"detail", "Commands are not available on this notifier."}}));
    return;
  }
  ++session.commands_in_flight;
  ++stats_.commands_forwarded;
  commands_->Run(*plan.call, session.token,
                 [this, id, request_id = std::move(command.request_id)](CommandAnswer answer) {
                   OnCommandAnswer(id, request_id, answer);
                 });
}

void Hub::OnCommandAnswer(SessionId id, const std::string& request_id, const CommandAnswer& answer) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;  // the connection is gone; the command ran all the same
  --it->second.commands_in_flight;
  Send(it->second, ResultMessage(request_id, answer.status, answer.body));
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
  if (const auto refusal = RefusalOf(session, selector); !refusal.empty()) {
    Send(session, ErrorMessage("forbidden", refusal));
    return;
  }
  switch (selector.kind) {
    case Selector::Kind::kOrder: {
      const auto* cached = cache_.Find(selector.value);
      if (!cached || !domain::MaySee(session.actor, cached->order)) {
        // Not seen yet, or one the caller may not see: wait, then not_found (the same
        // answer at the same time for both, so existence is not revealed).
        session.pending_orders.insert(selector.value);
        waiting_[selector.value].push_back({id, false, message.since_version, now + limits_.not_found_wait});
        if (!cached) LookUp(selector.value, now);
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
      SendSnapshotPages(session, selector, nullptr,
                        [&] { return cache_.NewestOfCustomer(selector.value, limits_.customer_snapshot_size); });
      return;
    case Selector::Kind::kCourier:
      session.selectors.insert(selector);
      by_courier_[selector.value].insert(id);
      SendSnapshotPages(session, selector, nullptr,
                        [&] { return cache_.NewestOfCourier(selector.value, limits_.courier_snapshot_size); });
      return;
    case Selector::Kind::kAll:
      session.selectors.insert(selector);
      all_.insert(id);
      SendSnapshotPages(session, selector, nullptr, [&] { return cache_.Newest(limits_.snapshot_list_size); });
      return;
    case Selector::Kind::kOpenDeliveries:
      session.selectors.insert(selector);
      open_deliveries_.insert(id);
      {
        const std::string* decliner = IsCourier(session.actor) ? &session.actor.id : nullptr;
        SendSnapshotPages(session, selector, decliner,
                          [&] { return cache_.OldestOpen(limits_.open_snapshot_size, decliner); });
      }
      return;
    case Selector::Kind::kTopic:
      // Live events only: no snapshot to send.
      session.selectors.insert(selector);
      by_topic_[selector.value].insert(id);
      return;
  }
}

void Hub::SendSnapshotPages(Session& session, const Selector& selector, const std::string* decliner,
                            const std::function<std::vector<const domain::Order*>()>& orders) {
  const auto& pages = snapshot_memo_.Get(selector, decliner, cache_.generation(),
                                         [&] { return SnapshotPages(selector, orders(), limits_.snapshot_paging); });
  for (const auto& page : pages) {
    ++stats_.messages_sent;
    session.sink->SendSnapshotPage(page);
  }
}

void Hub::StartOrderStream(Session& session, const CachedOrder& cached, std::optional<std::int64_t> since) {
  const domain::Order& order = cached.order;
  const std::int64_t oldest_kept = cached.events.empty() ? order.version + 1 : domain::VersionOf(cached.events.front());
  if (since && *since <= order.version && *since + 1 >= oldest_kept) {
    // Resume: replay exactly what the client missed, each update showing the
    // order as it was after its event (folded again from the kept events).
    std::optional<domain::Order> state = cached.base;
    for (const auto& event : cached.events) {
      std::optional<domain::Order> before = state;
      domain::Apply(state, event);
      if (domain::VersionOf(event) <= *since) continue;
      Send(session, UpdateMessage(event, before ? &*before : nullptr, *state));
    }
  } else {
    // A fresh subscription, a client that claims versions we never saw, or a
    // resume from before the events the cache still keeps.
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
    if (!it->second.empty()) return;
    index.erase(it);
    if constexpr (requires { index.bucket_count(); }) ShrinkIfSparse(index);
  };
  switch (selector.kind) {
    case Selector::Kind::kOrder:
      drop(by_order_, selector.value);
      session.last_sent.erase(selector.value);
      break;
    case Selector::Kind::kCustomer:
      drop(by_customer_, selector.value);
      break;
    case Selector::Kind::kCourier:
      drop(by_courier_, selector.value);
      break;
    case Selector::Kind::kAll:
      all_.erase(id);
      break;
    case Selector::Kind::kOpenDeliveries:
      open_deliveries_.erase(id);
      break;
    case Selector::Kind::kTopic:
      drop(by_topic_, selector.value);
      break;
  }
}

void Hub::CollectInterested(const domain::Order* before, const domain::Order& after) {
  auto& interested = interested_scratch_;
  interested.assign(all_.begin(), all_.end());
  auto add = [&](const auto& index, const std::string& key) {
    if (key.empty()) return;
    if (auto it = index.find(key); it != index.end()) {
      interested.insert(interested.end(), it->second.begin(), it->second.end());
    }
  };
  add(by_order_, after.order_id);
  add(by_customer_, after.customer_id);
  add(by_courier_, after.courier_id);
  if (before && before->courier_id != after.courier_id) add(by_courier_, before->courier_id);
  // Open-list subscribers care only while the order is, or was, open.
  if ((before && domain::IsOpenForDelivery(*before)) || domain::IsOpenForDelivery(after)) {
    interested.insert(interested.end(), open_deliveries_.begin(), open_deliveries_.end());
  }
  std::sort(interested.begin(), interested.end());
  interested.erase(std::unique(interested.begin(), interested.end()), interested.end());
}

void Hub::OnEvent(const domain::Event& event, const codec::EventMetadata& metadata) {
  if (!revivals_.empty() && revivals_.count(domain::OrderIdOf(event))) {
    HoldForRevival(event, metadata);  // behind the events already held for this order
    return;
  }
  domain::ApplyOutcome outcome;
  std::optional<domain::Order> before_state;
  const CachedOrder* cached = cache_.Apply(event, outcome, &before_state);
  if (!cached) {
    // A later event of an order the cache holds no state of: one it dropped while live.
    if (outcome == domain::ApplyOutcome::kGap && MayRevive()) HoldForRevival(event, metadata);
    return;  // otherwise a duplicate (redelivery) or not applicable: nothing new to tell
  }
  const domain::Order& after = cached->order;
  const domain::Order* before = before_state ? &*before_state : nullptr;
  const std::string& order_id = after.order_id;
  const std::int64_t version = domain::VersionOf(event);

  // Every session interested once, in id order; the vector is reused, so a
  // fan-out to thousands of sessions allocates nothing per event.
  CollectInterested(before, after);
  // Who follows this order through which selector, looked up once per event
  // (membership checks below then allocate nothing per session).
  auto followers = [](const auto& index, const std::string& key) -> const SessionSet* {
    if (key.empty()) return nullptr;
    auto it = index.find(key);
    return it == index.end() ? nullptr : &it->second;
  };
  auto has = [](const SessionSet* sessions, SessionId id) { return sessions && sessions->count(id) > 0; };
  const auto* by_order = followers(by_order_, order_id);
  const auto* by_customer = followers(by_customer_, after.customer_id);
  const auto* by_new_courier = followers(by_courier_, after.courier_id);
  const bool courier_changed = !before || before->courier_id != after.courier_id;
  const auto* by_old_courier = before && courier_changed ? followers(by_courier_, before->courier_id) : nullptr;
  // One text per way of telling the event (with the order or not; open list
  // or not, and in it or not), rendered once for every session that gets it.
  std::optional<std::string> texts[2][3];
  const std::uint64_t delivered_before = stats_.updates_delivered;
  for (SessionId id : interested_scratch_) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    Session& session = it->second;
    const domain::Actor& actor = session.actor;
    bool relevant = all_.count(id) > 0 || has(by_customer, id);
    if (has(by_order, id)) {
      relevant = relevant || domain::MaySee(actor, after) || (before && domain::MaySee(actor, *before));
    }
    // Following the courier the order has now (it entered that list when the
    // courier changed), or the one it had (the update that takes it out).
    const bool follows_new_courier = has(by_new_courier, id);
    bool entering = follows_new_courier && courier_changed;
    relevant = relevant || follows_new_courier || has(by_old_courier, id);
    std::optional<bool> open;
    if (open_deliveries_.count(id)) {
      const bool was_in = InOpenList(actor, before);
      const bool is_in = InOpenList(actor, &after);
      if (was_in || is_in) {
        relevant = true;
        open = is_in;
        entering = entering || (is_in && !was_in);
      }
    }
    if (!relevant) continue;
    if (auto last = session.last_sent.find(order_id); last != session.last_sent.end()) {
      if (version <= last->second) continue;  // already in the snapshot or replay
      last->second = version;
    }
    auto& text = texts[entering ? 1 : 0][open ? (*open ? 2 : 1) : 0];
    if (!text) text = UpdateMessage(event, before, after, UpdateView{entering, open});
    ++stats_.updates_delivered;
    Send(session, *text);
  }
  if (!by_topic_.empty()) {
    // The rule of updates: a session may hear of an event when it may see the order before or after it.
    PublishToTopics(
        codec::EventName(event),
        [&](const Session& session) {
          return domain::MaySee(session.actor, after) || (before && domain::MaySee(session.actor, *before));
        },
        [&] { return TopicMessage(codec::EventName(event), metadata.event_id, codec::EventPayloadToJson(event)); });
  }
  if (std::holds_alternative<domain::OrderPlaced>(event)) {
    ReleaseHeldStockEvents(order_id);
    ResolveWaiting(order_id);
  }
  if (platform::LogEnabled(platform::LogLevel::kDebug)) {  // an order followed through the logs by its trace id
    platform::LogFields fields{{"orderId", order_id},
                               {"version", version},
                               {"eventId", metadata.event_id},
                               {"subscribers", stats_.updates_delivered - delivered_before}};
    if (metadata.trace_parent) fields["traceId"] = codec::TraceIdOf(*metadata.trace_parent);
    platform::LogDebug("update delivered", fields);
  }
}

void Hub::TellNewerState(const domain::Order& order, const domain::Event& newest_told) {
  CollectInterested(nullptr, order);
  auto follows = [](const auto& index, const std::string& key, SessionId id) {
    if (key.empty()) return false;
    auto it = index.find(key);
    return it != index.end() && it->second.count(id) > 0;
  };
  std::optional<std::string> update;
  for (SessionId id : interested_scratch_) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    Session& session = it->second;
    if (!domain::MaySee(session.actor, order)) continue;
    if (follows(by_order_, order.order_id, id)) {
      // As a resume the read model answers: the state, not the events that led to it.
      Send(session, SnapshotMessage(order, /*recovered=*/false));
      session.last_sent[order.order_id] = order.version;
      continue;
    }
    const bool relevant = all_.count(id) > 0 || follows(by_customer_, order.customer_id, id) ||
                          follows(by_courier_, order.courier_id, id) ||
                          (open_deliveries_.count(id) > 0 && InOpenList(session.actor, &order));
    if (!relevant) continue;
    if (!update) update = UpdateMessage(newest_told, nullptr, order);  // with no state before: carries the order
    ++stats_.updates_delivered;
    Send(session, *update);
  }
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
    if (!domain::MaySee(session->second.actor, cached->order)) {
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
  // The cache answers from now on; a read-model answer still under way is not wanted.
  if (!waiting_.count(order_id)) lookups_.erase(order_id);
}

void Hub::LookUp(const std::string& order_id, Clock::time_point now) {
  if (!lookup_ || !cache_.evicted_any()) return;
  auto& pending = lookups_[order_id];
  if (pending.ticket != 0 && !pending.outcome) return;  // under way: its answer serves this waiter too
  pending = {next_lookup_++, now, std::nullopt};
  lookup_->Find(order_id, [this, order_id, ticket = pending.ticket](OrderLookupResult result) {
    OnLookup(order_id, ticket, std::move(result));
  });
}

void Hub::OnLookup(const std::string& order_id, std::uint64_t ticket, OrderLookupResult result) {
  auto pending = lookups_.find(order_id);
  if (pending == lookups_.end() || pending->second.ticket != ticket || pending->second.outcome) return;
  switch (result.outcome) {
    case OrderLookupResult::Outcome::kFound:
      ++stats_.lookups_found;
      break;
    case OrderLookupResult::Outcome::kAbsent:
      ++stats_.lookups_absent;
      break;
    case OrderLookupResult::Outcome::kFailed:
      ++stats_.lookups_failed;
      break;
  }
  const bool failed = result.outcome == OrderLookupResult::Outcome::kFailed;
  if (failed && !lookups_failing_) {
    platform::LogWarn("read model lookup failed; orders the cache dropped are answered unavailable meanwhile",
                      {{"orderId", order_id}, {"error", result.error}});
  } else if (!failed && lookups_failing_) {
    platform::LogInfo("read model lookups answer again");
  }
  lookups_failing_ = failed;
  pending->second.outcome = result.outcome;
  auto waiting = waiting_.find(order_id);
  if (waiting == waiting_.end()) {
    lookups_.erase(pending);
    return;
  }
  // Absent or failed: the waiters are answered at their deadline (a placement may still come).
  // The cache, when it holds the order by now, has answered whoever may see it.
  if (result.outcome != OrderLookupResult::Outcome::kFound || !result.order || cache_.Find(order_id)) return;
  const domain::Order& order = *result.order;
  auto waits = std::move(waiting->second);
  waiting->second.clear();
  for (const auto& wait : waits) {
    auto session = sessions_.find(wait.session);
    if (session == sessions_.end()) continue;
    if (!domain::MaySee(session->second.actor, order)) {
      waiting->second.push_back(wait);  // not_found at its deadline, exactly like a missing order
      continue;
    }
    if (wait.lookup) {
      Send(session->second, LookupAnswer(&order));
      continue;
    }
    OpenStoredOrder(wait.session, session->second, wait, order);
  }
  if (waiting->second.empty()) {
    waiting_.erase(waiting);
    lookups_.erase(order_id);
  }
}

void Hub::OpenStoredOrder(SessionId id, Session& session, const Waiting& waiting, const domain::Order& order) {
  session.pending_orders.erase(order.order_id);
  session.selectors.insert(Selector{Selector::Kind::kOrder, order.order_id});
  by_order_[order.order_id].insert(id);
  // The read model keeps no events to replay: a client exactly at its version
  // has missed nothing; any other resume gets the state, marked not recovered.
  if (!waiting.since || *waiting.since != order.version) {
    Send(session, SnapshotMessage(order, /*recovered=*/!waiting.since.has_value()));
  }
  // Later events the cache applies (an order it had not read yet) go out only past this version.
  session.last_sent[order.order_id] = order.version;
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
  TickRevivals(now);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    AnswerExpired(it->first, it->second, now);
    if (!it->second.empty()) {
      ++it;
      continue;
    }
    lookups_.erase(it->first);
    it = waiting_.erase(it);
  }
  // Lookups whose waiters all left: forget them once answered or overdue.
  std::erase_if(lookups_, [&](const auto& entry) {
    const auto& [order_id, pending] = entry;
    return !waiting_.count(order_id) && (pending.outcome || now >= pending.started + limits_.lookup_timeout);
  });
}

void Hub::AnswerExpired(const std::string& order_id, std::vector<Waiting>& waits, Clock::time_point now) {
  auto pending = lookups_.find(order_id);
  if (pending != lookups_.end() && !pending->second.outcome) {
    if (now < pending->second.started + limits_.lookup_timeout) return;  // the read model may still answer
    ++stats_.lookups_timed_out;
    pending->second.outcome = OrderLookupResult::Outcome::kFailed;
    if (!lookups_failing_) platform::LogWarn("read model lookup timed out", {{"orderId", order_id}});
    lookups_failing_ = true;
  }
  // Not in the read model either is not_found; a read model that could not say is not.
  const bool unavailable = pending != lookups_.end() && pending->second.outcome == OrderLookupResult::Outcome::kFailed;
  for (auto wait = waits.begin(); wait != waits.end();) {
    if (wait->deadline > now) {
      ++wait;
      continue;
    }
    if (auto session = sessions_.find(wait->session); session != sessions_.end()) {
      if (!wait->lookup) session->second.pending_orders.erase(order_id);
      if (wait->lookup) {
        Send(session->second, unavailable ? LookupUnavailableAnswer() : LookupAnswer(nullptr));
      } else if (unavailable) {
        Send(session->second,
             ErrorMessage("unavailable",
                          "This order is not in the notifier's cache and the read model could not be asked; retry "
                          "shortly."));
      } else {
        Send(session->second, ErrorMessage("not_found", "No order with this orderId."));
      }
    }
    wait = waits.erase(wait);
  }
}

}  // namespace orders::notifier

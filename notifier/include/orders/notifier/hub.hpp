#pragma once
// Subscriptions and delivery. The hub runs on ONE thread (the WebSocket io
// thread): the log feed hands it events in log order, sessions hand it client
// messages, and it answers through each session's Sink. Because snapshots and
// updates come from the same OrderCache on that thread, a subscriber sees
// every version of its orders exactly once and in order.
//
// A subscribe to an order the notifier has not seen yet waits (default 3 s)
// for its placement before answering not_found: the command API answers only
// after Kafka acknowledged the event, so it is at most a consumer lag away.
// Once the cache has dropped any order, such a subscribe (or resume, or bare
// lookup) also asks the read model through an OrderLookup, off this thread:
// an order found there is answered from it at once; one absent there too is
// not_found after the wait; when the read model cannot be asked (an error, or
// no answer within `lookup_timeout`) the answer is `unavailable`, never a
// not_found that may be false.
//
// Who sees what is the shared permission table (domain/access.hpp): a
// customer its own orders, a courier the orders assigned to it and the open
// deliveries, staff and services everything. An update goes to a session when
// it may see the order before or after the event, so a courier learns that a
// delivery it was following was taken, and nothing after that.
//
// A live order the cache dropped (only when its budget holds nothing
// finished) cannot fold its next event without the state before it. While
// anyone is connected, the hub holds that order's events, asks the read model
// for its state and, once the read model has caught up to just before the
// first held event, holds the order again and delivers the held events as
// usual. A read model already past them is told as the state it has reached:
// a snapshot (marked not recovered) to those following the order by id, one
// update carrying the order to everyone else. With nobody connected nothing
// is asked: a later subscribe is answered from the read model anyway.
//
// Topic subscriptions ({"type":"subscribe","topic":"order.*"}) get every event
// of a matching name as a `message`, once per event however many of the
// session's patterns match, filtered by role: order events as updates are
// (the order visible before or after the event); inventory events, which
// only topic subscriptions receive, to everyone for a stock level and, when
// they name an order (reservations), to those who may see that order now.
// The two streams are read apart, so a reservation may come before its
// order's placement: staff and services get it at once, and it is held
// (bounded) for everyone else until the placement is read.
// A topic subscription has no snapshot and no resume: it carries the events
// the hub handles after it.
//
// Commands ({"type":"command"}) are forwarded to the command API through a
// CommandRunner with the session's own token; the answer comes back later on
// this thread as a `result`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <orders/codec/event_codec.hpp>
#include <orders/domain/access.hpp>
#include <orders/domain/inventory.hpp>
#include <orders/notifier/command_runner.hpp>
#include <orders/notifier/order_cache.hpp>
#include <orders/notifier/order_lookup.hpp>
#include <orders/notifier/protocol.hpp>
#include <orders/notifier/session_set.hpp>
#include <orders/notifier/snapshot_memo.hpp>
#include <orders/platform/jwt.hpp>

namespace orders::notifier {

using Clock = std::chrono::steady_clock;

// Where a session's messages go (implemented by the WebSocket session).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void SendText(const std::string& text) = 0;
  // A pong (the answer to a client's JSON ping). Only the latest one needs to
  // be pending, so a session may replace an unsent pong instead of queueing.
  virtual void SendPong(const std::string& text) { SendText(text); }
  // A page of a list snapshot: all pages of one snapshot are queued at once,
  // so a session may allow them past its usual queue bound (by at most one
  // snapshot's size, SnapshotPaging::total_bytes).
  virtual void SendSnapshotPage(const std::string& text) { SendText(text); }
  // Must not call back into the hub synchronously (it may be mid-delivery).
  virtual void Close(std::uint16_t code, const std::string& reason) = 0;
  // For /metrics: bytes waiting to be written, and bytes of buffers the
  // connection holds of its own (its queue's storage, a partial message).
  virtual std::size_t queued_bytes() const { return 0; }
  virtual std::size_t buffer_bytes() const { return 0; }
  // The service's clock for deadlines (pings, close timeouts), so that no
  // connection needs a timer of its own.
  virtual void Tick(Clock::time_point /*now*/) {}
};

struct HubLimits {
  std::size_t max_subscriptions = 50;         // per session, subscriptions still waiting for their order included
  double messages_per_second = 20;            // per session, sustained; 0: unlimited (RATE_LIMIT=off)
  double message_burst = 40;                  // per session
  std::size_t snapshot_list_size = 100;       // orders in an `all` snapshot (a staff board)
  std::size_t customer_snapshot_size = 1000;  // a customer's orders: all of them, up to this
  std::size_t courier_snapshot_size = 1000;   // the orders assigned to a courier, newest first
  std::size_t open_snapshot_size = 500;       // open deliveries, oldest first
  std::size_t max_commands_in_flight = 4;     // per session: commands sent and not yet answered
  SnapshotPaging snapshot_paging;             // list snapshots: pages of 64 KiB, 2 MiB in all
  std::chrono::milliseconds not_found_wait{3000};
  // How long a read-model lookup may take before its waiters are told `unavailable`.
  std::chrono::milliseconds lookup_timeout{3000};
  // Inventory events are recognised as redelivered by their product's newest
  // version; past this many products the memory of versions starts afresh.
  std::size_t max_tracked_products = 100'000;
  // Inventory events naming an order not read yet, held for its placement; past
  // this many, every held one is dropped (they would only be late anyway).
  std::size_t max_held_stock_events = 1000;
  // Events held for dropped live orders while the read model is asked; past
  // this many, the order whose event does not fit is given up for now (its
  // next event asks again).
  std::size_t max_revival_events = 10'000;
  // How long a dropped live order's events are held while the read model is
  // behind, failing or silent (it is asked again at every Tick meanwhile).
  std::chrono::milliseconds revival_timeout{5000};
};

struct HubStats {
  std::uint64_t messages_sent = 0;
  std::uint64_t updates_delivered = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t sessions = 0;
  std::uint64_t commands_forwarded = 0;
  std::uint64_t topic_messages_delivered = 0;
  // Read-model lookups of orders the cache no longer holds, by how they ended.
  std::uint64_t lookups_found = 0;
  std::uint64_t lookups_absent = 0;
  std::uint64_t lookups_failed = 0;     // an error from the read model
  std::uint64_t lookups_timed_out = 0;  // no answer within lookup_timeout
  // Dropped live orders held again from the read model; of those, the ones
  // whose read model was already past some held events; and the ones given up.
  std::uint64_t orders_revived = 0;
  std::uint64_t revived_from_newer_state = 0;
  std::uint64_t revivals_given_up = 0;
};

class Hub {
 public:
  // `commands`: where commands go; nullptr answers them 503. `lookup`: the
  // read model, for orders the cache dropped; nullptr: such orders are
  // not_found (as when nothing was dropped).
  Hub(OrderCache& cache, HubLimits limits, CommandRunner* commands = nullptr, OrderLookup* lookup = nullptr)
      : cache_(cache), limits_(limits), commands_(commands), lookup_(lookup) {}

  // `principal`: who the session's token names; nullopt when auth is off
  // (then the session counts as staff). `token`: the bearer token itself,
  // forwarded with the session's commands (empty when auth is off). Another
  // customer's order is answered exactly like a missing one; a courier asking
  // for an order it may not see gets `forbidden`. A session whose token
  // expires is closed with 1008 by Tick, and refuses commands from then on.
  void Attach(SessionId id, Sink& sink, std::optional<platform::Principal> principal = std::nullopt,
              std::string token = {});
  void Detach(SessionId id);

  void OnClientText(SessionId id, std::string_view text, Clock::time_point now,
                    std::chrono::system_clock::time_point wall_now = std::chrono::system_clock::now());
  // An event read from the log, in log order. `metadata`: its record's
  // (topic messages carry the event id).
  void OnEvent(const domain::Event& event, const codec::EventMetadata& metadata = {});
  // An event of the inventory stream, in that stream's log order. Only topic
  // subscriptions get it; the order cache never sees it.
  void OnStockEvent(const domain::StockEvent& event, const codec::EventMetadata& metadata);
  // Answers not_found for waits that ran out and closes (1008) the sessions
  // whose token expired by `wall_now`.
  void Tick(Clock::time_point now, std::chrono::system_clock::time_point wall_now = std::chrono::system_clock::now());

  const HubStats& stats() const { return stats_; }

 private:
  struct Session {
    Sink* sink = nullptr;
    std::optional<platform::Principal> principal;
    domain::Actor actor;  // staff when auth is off
    std::string token;
    std::size_t commands_in_flight = 0;
    std::set<Selector> selectors;
    std::unordered_map<std::string, std::int64_t> last_sent;  // per order subscribed by id
    double tokens = 0;
    Clock::time_point refilled{};
    int refused_in_a_row = 0;
    std::set<std::string> pending_orders;  // subscribed by id, waiting for the order to appear
  };
  struct Waiting {
    SessionId session;
    bool lookup;  // bare-id lookup rather than subscribe
    std::optional<std::int64_t> since;
    Clock::time_point deadline;
  };

  void Send(Session& session, const std::string& text);
  bool TakeToken(Session& session, Clock::time_point now);
  void Subscribe(SessionId id, Session& session, const ClientMessage& message, Clock::time_point now);
  void Unsubscribe(SessionId id, Session& session, const Selector& selector);
  // Sends the snapshot or the replay for a subscription by order id.
  void StartOrderStream(Session& session, const CachedOrder& cached, std::optional<std::int64_t> since);
  void ResolveWaiting(const std::string& order_id);
  // Asks the read model about `order_id` when the cache has dropped orders
  // and no lookup for it is under way already (one answers every waiter).
  void LookUp(const std::string& order_id, Clock::time_point now);
  void OnLookup(const std::string& order_id, std::uint64_t ticket, OrderLookupResult result);
  // A waiting subscribe answered from the read model's `order`.
  void OpenStoredOrder(SessionId id, Session& session, const Waiting& waiting, const domain::Order& order);
  // Answers the waits for `order_id` whose deadline passed: not_found, or
  // unavailable when the read model could not say.
  void AnswerExpired(const std::string& order_id, std::vector<Waiting>& waits, Clock::time_point now);
  // The list snapshot of `orders()` in pages, rendered once for a wave of
  // subscribers (snapshot_memo.hpp); `decliner`: whose declines `orders` leaves out.
  void SendSnapshotPages(Session& session, const Selector& selector, const std::string* decliner,
                         const std::function<std::vector<const domain::Order*>()>& orders);
  void ExpireTokens(std::chrono::system_clock::time_point wall_now);
  // The forbidden message for a list selector this session may not follow; empty when it may.
  static std::string_view RefusalOf(const Session& session, const Selector& selector);
  void RunCommand(SessionId id, Session& session, CommandRequest command,
                  std::chrono::system_clock::time_point wall_now);
  void OnCommandAnswer(SessionId id, const std::string& request_id, const CommandAnswer& answer);
  // The session ids that may be interested in an event of `after` (before: the order before it).
  void CollectInterested(const domain::Order* before, const domain::Order& after);
  // Sends the event named `event_name` as a topic message to every session one of whose patterns
  // matches it and that `may_receive` accepts: once per session, rendered once by `render`.
  void PublishToTopics(std::string_view event_name, const std::function<bool(const Session&)>& may_receive,
                       const std::function<std::string()>& render);
  // Whether the inventory event `event` may reach this session (hub.hpp's header comment).
  bool MayReceiveStockEvent(const Session& session, const domain::StockEvent& event) const;
  // False for an inventory event already handled (a redelivery), remembering it otherwise.
  bool FirstTimeSeen(const domain::StockEvent& event);
  // Dropped live orders (the header comment): whether an event of an order
  // the cache does not hold starts a revival; holding it; asking; the answer;
  // going on from the read model's `order`.
  bool MayRevive() const;
  void HoldForRevival(const domain::Event& event, const codec::EventMetadata& metadata);
  void AskForRevival(const std::string& order_id);
  void OnRevivalLookup(const std::string& order_id, std::uint64_t ticket, OrderLookupResult result);
  void Revive(const std::string& order_id, const domain::Order& order);
  void TellNewerState(const domain::Order& order, const domain::Event& newest_told);
  void GiveUpRevival(const std::string& order_id);
  void TickRevivals(Clock::time_point now);
  // The inventory events held for `order_id`'s placement, to the sessions that may see it now
  // (staff and services had them when they came).
  void ReleaseHeldStockEvents(const std::string& order_id);

  OrderCache& cache_;
  HubLimits limits_;
  CommandRunner* commands_;
  OrderLookup* lookup_;
  std::vector<SessionId> interested_scratch_;  // OnEvent's recipients, reused
  SnapshotMemo snapshot_memo_;                 // the list snapshot rendered last
  HubStats stats_;
  std::unordered_map<SessionId, Session> sessions_;
  std::unordered_map<std::string, SessionSet> by_order_;
  std::unordered_map<std::string, SessionSet> by_customer_;
  std::unordered_map<std::string, SessionSet> by_courier_;
  SessionSet all_;
  SessionSet open_deliveries_;
  std::map<std::string, SessionSet> by_topic_;                    // by pattern: at most a few dozen keys
  std::vector<SessionId> topic_scratch_;                          // PublishToTopics' recipients, reused
  std::unordered_map<std::string, std::int64_t> stock_versions_;  // newest version per product, bounded
  struct HeldStockEvent {
    domain::StockEvent event;
    std::string event_id;
  };
  std::unordered_map<std::string, std::vector<HeldStockEvent>> held_stock_;  // by the order they name
  std::size_t held_stock_count_ = 0;
  std::unordered_map<std::string, std::vector<Waiting>> waiting_;
  // Read-model lookups by order id: under way, or answered while waiters remain.
  struct PendingLookup {
    std::uint64_t ticket = 0;  // matches the answer to the lookup still wanted
    Clock::time_point started{};
    std::optional<OrderLookupResult::Outcome> outcome;  // nullopt while under way
  };
  std::unordered_map<std::string, PendingLookup> lookups_;
  std::uint64_t next_lookup_ = 1;
  bool lookups_failing_ = false;  // the last lookup failed: logged once per outage
  struct Revival {
    std::vector<std::pair<domain::Event, codec::EventMetadata>> held;  // in log order
    std::uint64_t ticket = 0;                                          // of the lookup still wanted
    bool asking = false;
    std::optional<Clock::time_point> first_tick;  // the first Tick since it began
  };
  std::unordered_map<std::string, Revival> revivals_;
  std::size_t revival_events_ = 0;  // held in all of them
  // Sessions by token expiry, soonest first: one sweep for every connection
  // instead of a timer each.
  std::set<std::pair<std::chrono::system_clock::time_point, SessionId>> expiries_;
};

}  // namespace orders::notifier

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

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <orders/notifier/order_cache.hpp>
#include <orders/notifier/protocol.hpp>
#include <orders/platform/jwt.hpp>

namespace orders::notifier {

using SessionId = std::uint64_t;
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
};

struct HubLimits {
  std::size_t max_subscriptions = 50;         // per session, subscriptions still waiting for their order included
  double messages_per_second = 20;            // per session, sustained
  double message_burst = 40;                  // per session
  std::size_t snapshot_list_size = 100;       // orders in an `all` snapshot (a staff board)
  std::size_t customer_snapshot_size = 1000;  // a customer's orders: all of them, up to this
  SnapshotPaging snapshot_paging;             // list snapshots: pages of 64 KiB, 2 MiB in all
  std::chrono::milliseconds not_found_wait{3000};
};

struct HubStats {
  std::uint64_t messages_sent = 0;
  std::uint64_t updates_delivered = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t sessions = 0;
};

class Hub {
 public:
  Hub(OrderCache& cache, HubLimits limits) : cache_(cache), limits_(limits) {}

  // `principal`: who the session's token names; nullopt when auth is off
  // (then every selector is allowed). Customers may follow only their own
  // orders (another customer's order is answered exactly like a missing one);
  // `all` needs staff or service. A session whose token expires is closed
  // with 1008 by Tick.
  void Attach(SessionId id, Sink& sink, std::optional<platform::Principal> principal = std::nullopt);
  void Detach(SessionId id);

  void OnClientText(SessionId id, std::string_view text, Clock::time_point now);
  // An event read from the log, in log order.
  void OnEvent(const domain::Event& event, Clock::time_point now);
  // Answers not_found for waits that ran out and closes (1008) the sessions
  // whose token expired by `wall_now`.
  void Tick(Clock::time_point now, std::chrono::system_clock::time_point wall_now = std::chrono::system_clock::now());

  const HubStats& stats() const { return stats_; }

 private:
  struct Session {
    Sink* sink = nullptr;
    std::optional<platform::Principal> principal;
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
  void SendSnapshotPages(Session& session, const Selector& selector, const std::vector<const domain::Order*>& orders);
  void ExpireTokens(std::chrono::system_clock::time_point wall_now);
  // May this session see orders of `customer_id` (nullopt: every order)?
  static bool MaySee(const Session& session, const std::optional<std::string>& customer_id);

  OrderCache& cache_;
  HubLimits limits_;
  std::vector<SessionId> interested_scratch_;  // OnEvent's recipients, reused
  HubStats stats_;
  std::unordered_map<SessionId, Session> sessions_;
  std::unordered_map<std::string, std::set<SessionId>> by_order_;
  std::unordered_map<std::string, std::set<SessionId>> by_customer_;
  std::set<SessionId> all_;
  std::unordered_map<std::string, std::vector<Waiting>> waiting_;
  // Sessions by token expiry, soonest first: one sweep for every connection
  // instead of a timer each.
  std::set<std::pair<std::chrono::system_clock::time_point, SessionId>> expiries_;
};

}  // namespace orders::notifier

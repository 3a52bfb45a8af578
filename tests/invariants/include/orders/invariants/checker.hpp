#pragma once
// The platform's invariants, checked after any scenario (tests/fault, or by
// hand with orders_check_invariants):
//   1. the log: per order, versions 1..n with no gap and no duplicate, and
//      every transition allowed by the lifecycle; every record decodes;
//   2. every acknowledged command (answered 2xx) is in the log exactly once;
//   3. the read model equals the fold of the log (orders and their history);
//   4. every WebSocket subscriber saw each version of the orders it should
//      have followed once and in order, with the status the log has for that
//      version, and reached the last version. What it should have followed
//      comes from the log, never from what it received: the ids it subscribed
//      to, or every order of its customer in the fold. A subscriber that got
//      no update at all, or should have followed nothing, is a violation (the
//      check cannot pass on nothing). A snapshot of one order that goes back,
//      or forward past the next version, is a gap — unless the notifier told
//      it to resync ("recovered": false), which is counted and reported (and
//      a violation when the scenario demands real resumes). A customer or
//      `all` subscription that reconnects gets a fresh snapshot list;
//      continuity holds for the orders it lists (for a customer: all of them
//      up to 1000), the others are counted as not continued;
//   5. couriers: at most one courier per order at any version (an assignment
//      onto an order that has one is a violation); every acceptance (an
//      `order.courier_assigned` with by=courier) happened while the order was
//      open (confirmed or processing, no courier) and was made by that
//      courier; a staff/service assignment by staff or a service; every move
//      to out_for_delivery or delivered by the assigned courier or by
//      staff/service; a release by the courier who had it, before pickup; a
//      decline while the order was open, by that courier. Who made a change
//      is the record's `orders_actor` header, "<role>:<subject>" (e.g.
//      "courier:c-7"), written by the command service on every event when
//      auth is on. With AUTH=off it writes none and every caller is staff, so
//      a log where no record has the header is "unattributed": the actor of
//      each change is unknown and taken as staff (the open-order and
//      one-courier rules still hold, they need no actor). Once any record of
//      the log carries the header, every record must: a missing or malformed
//      one is a violation;
//   6. every acknowledged acceptance (a 200 to a courier's accept, recorded
//      with its courierId) is in the log: at the version it answered, the
//      order has that courier;
//   7. the inventory log: stock never oversold, no reservation counted twice,
//      releases and commits settle an open reservation (stock_rules.hpp);
//   8. with the workflow on: every order leaves pending in time, none is
//      confirmed without payment, one refund per cancelled paid order, no
//      reservation left open by a finished order (workflow_rules.hpp).
// Pure logic over plain data; sources.hpp loads the data from Kafka,
// PostgreSQL and the scenario's recordings.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/domain/events.hpp>
#include <orders/domain/order.hpp>

namespace orders::invariants {

// One record of the log, decoded (or not).
struct LogRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<domain::Event> event;  // nullopt: could not be decoded
  std::string decode_error;
  std::optional<std::string> actor{};  // the orders_actor header, "<role>:<subject>"; nullopt: none
  std::string event_id{};              // the CloudEvent id: tells a resent event from another one
};

// A command the platform answered with 2xx: the version it reported.
struct Acknowledged {
  std::string order_id;
  std::int64_t version = 0;
  std::string status;        // the order's status after the command
  std::string courier_id{};  // set for an accepted delivery: the courier the answer named
};

// What the read model holds for one order.
struct ReadModelOrder {
  domain::Order order;
  std::map<std::int64_t, std::string> history;  // version -> status
};

// Everything one subscriber received, in order, across reconnects. Besides
// the notifier's messages it may hold {"type":"_closed","code":N} and
// {"type":"_reconnected"} written by the recording client.
struct SubscriberLog {
  std::string name;
  std::vector<nlohmann::json> messages;
  std::set<std::string> followed;  // order ids it subscribed to (by id)
  bool expect_complete = true;     // it stayed (or came back) until the end
  std::string customer_id;         // set: it followed this customer (every order of it in the log)
  bool allow_resync = true;        // false: a "recovered": false snapshot is a violation
};

// The log folded: each order's state and status per version.
struct Fold {
  std::map<std::string, domain::Order> orders;
  std::map<std::string, std::map<std::int64_t, std::string>> statuses;  // order -> version -> status
  std::map<std::string, std::map<std::int64_t, std::string>> couriers;  // order -> version -> courier ("" none)
  std::map<std::string, int> assignments;  // order -> how many order.courier_assigned it has
  std::map<std::pair<std::string, std::int64_t>, std::string> event_ids;  // (order, version) -> the applied event's id
  std::size_t events = 0;
};

struct Report {
  std::vector<std::string> violations;
  std::map<std::string, std::int64_t> counts;  // what was checked, for the summary
  bool ok() const { return violations.empty(); }
  // Records a violation (the list is capped so a broken run stays readable; the count is not).
  void Add(const std::string& violation);
  std::string Summary() const;
};

// 1. and 5. Folds the log and reports gaps, duplicates, forbidden transitions,
// undecodable records and broken courier rules.
Fold CheckLog(const std::vector<LogRecord>& log, Report& report);
// 2. and 6. Also: the same (order, version) acknowledged twice is a violation.
void CheckAcknowledged(const Fold& fold, const std::vector<LogRecord>& log, const std::vector<Acknowledged>& acks,
                       Report& report);
// 3.
void CheckReadModel(const Fold& fold, const std::map<std::string, ReadModelOrder>& read_model, Report& report);
// 4. The orders `subscriber` should have followed, from the fold.
std::set<std::string> ExpectedOrders(const Fold& fold, const SubscriberLog& subscriber);
void CheckSubscriber(const Fold& fold, const SubscriberLog& subscriber, Report& report);

}  // namespace orders::invariants

#include <orders/invariants/checker.hpp>

#include <set>
#include <sstream>
#include <variant>

#include <orders/domain/evolve.hpp>
#include <orders/domain/status.hpp>

#include "courier_rules.hpp"

namespace orders::invariants {
namespace {

void Violation(Report& report, const std::string& text) { report.Add(text); }

bool HasActorHeaders(const std::vector<LogRecord>& log) {
  for (const auto& record : log) {
    if (record.actor) return true;
  }
  return false;
}

}  // namespace

void Report::Add(const std::string& violation) {
  constexpr std::size_t kMaxReported = 50;
  ++counts["violations"];
  if (violations.size() < kMaxReported) violations.push_back(violation);
}

std::string Report::Summary() const {
  std::ostringstream out;
  out << (ok() ? "invariants hold" : "INVARIANTS BROKEN") << ":";
  for (const auto& [name, count] : counts) out << " " << name << "=" << count;
  for (const auto& violation : violations) out << "\n  - " << violation;
  return out.str();
}

Fold CheckLog(const std::vector<LogRecord>& log, Report& report) {
  Fold fold;
  const bool attributed = HasActorHeaders(log);
  for (const auto& record : log) {
    if (!record.event) {
      Violation(report, "undecodable record at partition " + std::to_string(record.partition) + " offset " +
                            std::to_string(record.offset) + ": " + record.decode_error);
      continue;
    }
    const auto& id = domain::OrderIdOf(*record.event);
    const auto version = domain::VersionOf(*record.event);
    std::optional<domain::Order> state;
    if (auto it = fold.orders.find(id); it != fold.orders.end()) state = it->second;
    const auto where = " (order " + id + ", version " + std::to_string(version) + ", partition " +
                       std::to_string(record.partition) + " offset " + std::to_string(record.offset) + ")";
    const auto before = state;
    switch (domain::Apply(state, *record.event)) {
      case domain::ApplyOutcome::kApplied:
        if (before) {
          RecordActor actor{record.actor ? ParseActor(*record.actor) : std::nullopt, attributed, record.actor};
          CheckCourierRules(*before, *record.event, actor, where, report);
        }
        fold.orders[id] = *state;
        fold.statuses[id][version] = std::string(domain::ToString(state->status));  // every event type
        fold.couriers[id][version] = state->courier_id;
        fold.event_ids[{id, version}] = record.event_id;
        if (std::holds_alternative<domain::CourierAssigned>(*record.event)) ++fold.assignments[id];
        ++fold.events;
        break;
      case domain::ApplyOutcome::kDuplicate: {
        // The same event again is a resend (the producer's, or an append retried after an unknown outcome);
        // another event with the same version is two writers' decisions, the worse defect. Both are violations:
        // the producer never times a record out, so it never bumps its epoch and writes a batch twice.
        const auto first = fold.event_ids.find({id, version});
        const bool resent =
            first != fold.event_ids.end() && !record.event_id.empty() && first->second == record.event_id;
        Violation(report, "duplicate version in the log" + where +
                              (resent ? ": the same event " + record.event_id + " again"
                                      : ": another event (" + record.event_id + ") than the first at this version (" +
                                            (first == fold.event_ids.end() ? std::string("?") : first->second) + ")"));
        break;
      }
      case domain::ApplyOutcome::kGap:
        Violation(report, "gap before this version in the log" + where);
        break;
      default:
        if (const auto* assigned = std::get_if<domain::CourierAssigned>(&*record.event);
            assigned && before && !before->courier_id.empty()) {
          Violation(report, "two couriers at once: " + assigned->courier_id + " assigned while " + before->courier_id +
                                " has the order" + where);
        } else {
          Violation(report, "transition not allowed by the lifecycle" + where);
        }
        break;
    }
  }
  report.counts["log_records"] = static_cast<std::int64_t>(log.size());
  report.counts["orders"] = static_cast<std::int64_t>(fold.orders.size());
  return fold;
}

void CheckAcknowledged(const Fold& fold, const std::vector<LogRecord>& log, const std::vector<Acknowledged>& acks,
                       Report& report) {
  // How many times each (order, version) is in the log (duplicates are also
  // reported by CheckLog; here an acknowledged one must be there exactly once).
  std::map<std::pair<std::string, std::int64_t>, int> occurrences;
  for (const auto& record : log) {
    if (!record.event) continue;
    const std::pair<std::string, std::int64_t> at{domain::OrderIdOf(*record.event), domain::VersionOf(*record.event)};
    ++occurrences[at];
  }
  std::map<std::pair<std::string, std::int64_t>, int> answered;  // how often each (order, version) was acknowledged
  for (const auto& ack : acks) {
    const auto count = occurrences[{ack.order_id, ack.version}];
    const auto what = "acknowledged command (order " + ack.order_id + ", version " + std::to_string(ack.version) + ")";
    if (++answered[{ack.order_id, ack.version}] == 2) {
      Violation(report, what + " was acknowledged twice: two commands were answered with the same version");
    }
    if (count == 0) {
      Violation(report, what + " is not in the log");
      continue;
    }
    if (count > 1) {
      Violation(report, what + " is in the log " + std::to_string(count) + " times");
    }
    const auto order = fold.statuses.find(ack.order_id);
    if (order != fold.statuses.end()) {
      const auto status = order->second.find(ack.version);
      if (status != order->second.end() && status->second != ack.status) {
        Violation(report, what + " answered status " + ack.status + " but the log has " + status->second);
      }
    }
    if (!ack.courier_id.empty()) {
      ++report.counts["acknowledged_acceptances"];
      const auto couriers = fold.couriers.find(ack.order_id);
      const auto courier = couriers == fold.couriers.end() ? std::string() : [&] {
        const auto at = couriers->second.find(ack.version);
        return at == couriers->second.end() ? std::string() : at->second;
      }();
      if (courier != ack.courier_id) {
        Violation(report, what + " accepted by courier " + ack.courier_id + " but the log has courier " +
                              (courier.empty() ? "none" : courier) + " at that version");
      }
    }
  }
  report.counts["acknowledged"] = static_cast<std::int64_t>(acks.size());
}

void CheckReadModel(const Fold& fold, const std::map<std::string, ReadModelOrder>& read_model, Report& report) {
  for (const auto& [id, expected] : fold.orders) {
    const auto it = read_model.find(id);
    if (it == read_model.end()) {
      Violation(report, "order " + id + " is in the log but not in the read model");
      continue;
    }
    if (!(it->second.order == expected)) {
      Violation(report, "read model of order " + id + " differs from the fold of the log (version " +
                            std::to_string(it->second.order.version) + " vs " + std::to_string(expected.version) +
                            ", status " + std::string(domain::ToString(it->second.order.status)) + " vs " +
                            std::string(domain::ToString(expected.status)) + ")");
    }
    if (it->second.history != fold.statuses.at(id)) {
      Violation(report, "history of order " + id + " differs from the log (" +
                            std::to_string(it->second.history.size()) + " rows vs " +
                            std::to_string(fold.statuses.at(id).size()) + " events)");
    }
  }
  for (const auto& [id, row] : read_model) {
    if (!fold.orders.count(id)) Violation(report, "order " + id + " is in the read model but not in the log");
  }
  report.counts["read_model_orders"] = static_cast<std::int64_t>(read_model.size());
}

std::set<std::string> ExpectedOrders(const Fold& fold, const SubscriberLog& subscriber) {
  if (subscriber.customer_id.empty()) return subscriber.followed;
  std::set<std::string> expected;
  for (const auto& [id, order] : fold.orders) {
    if (order.customer_id == subscriber.customer_id) expected.insert(id);
  }
  return expected;
}

void CheckSubscriber(const Fold& fold, const SubscriberLog& subscriber, Report& report) {
  std::map<std::string, std::int64_t> last;  // order -> last version seen
  std::int64_t updates = 0, resyncs = 0;
  const auto where = [&](const std::string& id, std::int64_t version) {
    return "subscriber " + subscriber.name + ", order " + id + ", version " + std::to_string(version);
  };
  // The status the log has at `version`, or empty when the log has no such version.
  const auto log_status = [&](const std::string& id, std::int64_t version) -> std::string {
    const auto order = fold.statuses.find(id);
    if (order == fold.statuses.end()) return {};
    const auto status = order->second.find(version);
    return status == order->second.end() ? std::string() : status->second;
  };
  const auto see_state = [&](const nlohmann::json& order) {
    const std::string id = order.value("orderId", "");
    const std::int64_t version = order.value("version", std::int64_t{0});
    const std::string status = order.value("status", "");
    if (log_status(id, version) != status) {
      Violation(report, where(id, version) + ": snapshot status " + status + " is not the log's (" +
                            log_status(id, version) + ")");
    }
    last[id] = version;
  };
  // A state it already knew must not go back, nor skip versions: the next one is last + 1 (or the same).
  const auto continuity = [&](const std::string& id, std::int64_t version) {
    const auto seen = last.find(id);
    if (seen == last.end()) return;
    if (version < seen->second) {
      Violation(report, where(id, version) + ": snapshot went back from version " + std::to_string(seen->second));
    } else if (version > seen->second + 1) {
      Violation(report, where(id, version) + ": snapshot jumped forward from version " + std::to_string(seen->second) +
                            " (a gap)");
    }
  };
  // After a reconnect, a selector subscription's snapshot list is the fresh
  // state: continuity is promised for the orders it lists, not for the others.
  // A list comes in pages (consecutive, the last one says "last": true).
  // An order followed by id is the exception: the client resumes it with
  // sinceVersion, so a selector's fresh list on the same connection excuses
  // nothing for it. It stays continued, and a list that shows it must agree
  // with what it already has (a client resubscribes its orders before its
  // selectors, so their replay comes first).
  const auto resumed_by_id = [&](const std::string& id) { return subscriber.followed.count(id) > 0; };
  bool reconnected = false;
  bool in_fresh_list = false;
  std::set<std::string> listed;
  std::set<std::string> not_continued;
  for (const auto& message : subscriber.messages) {
    const std::string type = message.value("type", "");
    if (type == "_reconnected") {
      reconnected = true;
      continue;
    }
    const bool fresh_list = type == "snapshot" && message.contains("orders") && (reconnected || in_fresh_list);
    if (fresh_list) {
      for (const auto& order : message["orders"]) listed.insert(order.value("orderId", ""));
      reconnected = false;
      in_fresh_list = !message.value("last", true);
      if (!in_fresh_list) {
        for (auto it = last.begin(); it != last.end();) {
          if (listed.count(it->first) || resumed_by_id(it->first)) {
            ++it;
          } else {
            not_continued.insert(it->first);
            it = last.erase(it);
          }
        }
        listed.clear();
      }
    }
    if (type == "snapshot" && message.contains("order")) {
      const auto& order = message["order"];
      const std::string id = order.value("orderId", "");
      const std::int64_t version = order.value("version", std::int64_t{0});
      if (message.value("recovered", true)) {
        continuity(id, version);
      } else {
        ++resyncs;
        if (!subscriber.allow_resync) {
          Violation(report, where(id, version) + ": told to resync (\"recovered\": false) where a resume must resume");
        }
      }
      see_state(order);
    } else if (type == "snapshot" && message.contains("orders")) {
      for (const auto& order : message["orders"]) {
        // A fresh list after a reconnect is the current state (the versions
        // missed meanwhile are not replayed for a selector); within one
        // connection a list must not skip or go back.
        const std::string id = order.value("orderId", "");
        if (!fresh_list || resumed_by_id(id)) continuity(id, order.value("version", std::int64_t{0}));
        see_state(order);
      }
    } else if (type == "update") {
      ++updates;
      const std::string id = message.value("orderId", "");
      const std::int64_t version = message.value("version", std::int64_t{0});
      const auto seen = last.find(id);
      if (seen != last.end() && version != seen->second + 1) {
        Violation(report, where(id, version) +
                              (version <= seen->second ? ": seen again or out of order (after " : ": gap (after ") +
                              std::to_string(seen->second) + ")");
      } else if (seen == last.end() && version != 1 && !not_continued.count(id)) {
        // The first thing known of an order is its placement or a snapshot.
        Violation(report, where(id, version) + ": gap (an update before any snapshot or placement)");
      }
      if (log_status(id, version) != message.value("status", "")) {
        Violation(report, where(id, version) + ": update status " + message.value("status", "") +
                              " is not the log's (" + log_status(id, version) + ")");
      }
      last[id] = std::max(last[id], version);
      not_continued.erase(id);
    }
  }
  report.counts["orders_not_continued_after_reconnect"] += static_cast<std::int64_t>(not_continued.size());
  report.counts["resync_snapshots_of_" + subscriber.name] += resyncs;
  if (subscriber.expect_complete) {
    const auto expected = ExpectedOrders(fold, subscriber);
    if (expected.empty()) Violation(report, "subscriber " + subscriber.name + " should have followed no order at all");
    if (updates == 0) Violation(report, "subscriber " + subscriber.name + " received no update at all");
    for (const auto& id : expected) {
      if (not_continued.count(id)) continue;
      const auto final_version = fold.orders.count(id) ? fold.orders.at(id).version : 0;
      const auto seen = last.count(id) ? last.at(id) : 0;
      if (seen != final_version) {
        Violation(report, "subscriber " + subscriber.name + " ended order " + id + " at version " +
                              std::to_string(seen) + ", the log at " + std::to_string(final_version));
      }
    }
    report.counts["orders_expected_by_" + subscriber.name] += static_cast<std::int64_t>(expected.size());
  }
  report.counts["updates_seen_by_" + subscriber.name] += updates;
}

}  // namespace orders::invariants

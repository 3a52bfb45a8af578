#pragma once
// Loads what the invariant checker compares: the whole orders topic (and the
// inventory topic) from Kafka, the read model from PostgreSQL, and a scenario's recordings (acknowledged
// commands and subscriber logs) from JSON-lines files.
//
// Recording files:
//   acknowledged: one {"orderId","version","status","courierId"?} per line (courierId: an accepted delivery)
//   subscriber:   a first line {"subscriber":name,"followed":[ids],"expectComplete":bool,
//                 "customerId":id,"allowResync":bool}, then one received message per line
// A file that cannot be read (or a subscriber file without its header) throws
// std::runtime_error: a missing recording is an error, never an empty input.

#include <optional>
#include <string>

#include <orders/invariants/checker.hpp>
#include <orders/invariants/stock_rules.hpp>
#include <orders/invariants/workflow_rules.hpp>

namespace orders::invariants {

std::vector<LogRecord> ReadLog(const std::string& topic);
std::vector<StockRecord> ReadStockLog(const std::string& topic);
std::map<std::string, ReadModelOrder> ReadReadModel(const std::string& database_url, const std::string& schema);

std::vector<Acknowledged> ReadAcknowledged(const std::string& path);
void WriteAcknowledged(const std::string& path, const std::vector<Acknowledged>& acks);
SubscriberLog ReadSubscriberLog(const std::string& path);
void WriteSubscriberLog(const std::string& path, const SubscriberLog& log);

// What a scenario adds to the checks of every scenario. The defaults check
// what was checked before the workflow existed.
struct CheckOptions {
  std::string inventory_topic{};            // empty: the inventory log is not read (invariant 7 skipped)
  std::optional<WorkflowOptions> workflow;  // nullopt: written with WORKFLOW=off (invariant 8 skipped)
};

// Every check at once; `schema` empty skips the read model.
Report CheckEverything(const std::string& topic, const std::string& database_url, const std::string& schema,
                       const std::vector<Acknowledged>& acks, const std::vector<SubscriberLog>& subscribers,
                       const CheckOptions& options = {});

}  // namespace orders::invariants

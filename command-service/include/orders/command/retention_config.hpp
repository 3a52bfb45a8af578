#pragma once
// What the command side keeps, where, and for how long, read once at start
// from the environment.
//
//   IDEMPOTENCY_RETENTION   how long after its placement an Idempotency-Key is
//                           remembered: a POST retried within it gets the same
//                           order, a later one places a new order; e.g. 3600s,
//                           12h, 7d; a bare number is seconds; 1s-365d, default 7d
//                           (the product contract: a client may retry for a week)
//   COMMAND_STATE_DIR       a directory of this instance's own for the local state
//                           store (RocksDB): start-up loads the live state from it
//                           and replays only the log's tail, and finished orders
//                           leave memory. Unset: no store, the whole log is
//                           replayed at start and every order stays in memory
//   ORDER_RETENTION         with a state store, how long after its last event a
//                           finished (delivered, cancelled) order stays in memory;
//                           later it is read from the store when asked; same
//                           format, 1s-365d, default 1h
//   RESERVATION_RETENTION   how long a product remembers an order's settled
//                           (refused, released, committed) reservation, from
//                           the time it was settled: a repeated request within
//                           it is answered by what happened, not counted again.
//                           Only an unfinished order asks again, so it must
//                           outlast the longest a cancelled order may wait for
//                           its payment's answer (a gateway outage); same
//                           format, 1h-365d, default 7d

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::command {

struct RetentionConfig {
  std::chrono::milliseconds idempotency_retention{std::chrono::hours(24 * 7)};
  std::optional<std::string> state_dir;
  std::chrono::milliseconds order_retention{std::chrono::hours(1)};
  std::chrono::milliseconds reservation_retention{std::chrono::hours(24 * 7)};
};

struct RetentionConfigResult {
  std::optional<RetentionConfig> config;
  std::vector<std::string> problems;  // empty when config is set
};

RetentionConfigResult LoadRetentionConfig(const std::map<std::string, std::string>& environment);

}  // namespace orders::command

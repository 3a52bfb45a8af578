#pragma once
// The command line of orders_check_invariants, read once in main:
//
//   orders_check_invariants --topic T [--schema S] [--acknowledged FILE]
//       [--inventory-topic T | --no-inventory] [--workflow | --no-workflow]
//       [--payment-timeout D] [--deadline-slack D] [SUBSCRIBER_FILE...]
//
// Settings the services share come from the same environment variables when
// no flag gives them: INVENTORY_TOPIC (default inventory.events), WORKFLOW
// ("on" or "off"; the checker's default is off: a log with manual
// confirmations must not be judged by the workflow's rules), PAYMENT_TIMEOUT
// (the command service's format: 900s, 15m, 1h; a bare number is seconds;
// default 15m). The slack defaults to 30s.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <orders/invariants/sources.hpp>

namespace orders::invariants {

struct CheckerArguments {
  std::string topic;
  std::string schema;        // empty: the read model is not compared
  std::string acknowledged;  // empty: no acknowledgements file
  std::vector<std::string> subscriber_files;
  CheckOptions options;
};

struct ParsedArguments {
  std::optional<CheckerArguments> arguments;
  std::string error;  // what is wrong with the command line; empty on success
};

// `arguments` without the program name; `environment` the variables above.
ParsedArguments ParseCheckerArguments(const std::vector<std::string>& arguments,
                                      const std::map<std::string, std::string>& environment);

}  // namespace orders::invariants

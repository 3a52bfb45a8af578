// orders_check_invariants: checks the platform's invariants (checker.hpp)
// after a scenario, from the command line.
//
//   orders_check_invariants --topic T [--schema S] [--acknowledged FILE] [SUBSCRIBER_FILE...]
//
// KAFKA_BROKERS and DATABASE_URL as for the tests. Exit 0 when every
// invariant holds, 1 when one is broken, 2 on bad usage or a recording that
// cannot be read.

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <orders/invariants/sources.hpp>
#include <orders/testing/test_env.hpp>

int main(int argc, char** argv) try {
  std::string topic, schema, acknowledged;
  std::vector<orders::invariants::SubscriberLog> subscribers;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--topic" && i + 1 < argc) {
      topic = argv[++i];
    } else if (arg == "--schema" && i + 1 < argc) {
      schema = argv[++i];
    } else if (arg == "--acknowledged" && i + 1 < argc) {
      acknowledged = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "unknown option %s\n", arg.c_str());
      return 2;
    } else {
      subscribers.push_back(orders::invariants::ReadSubscriberLog(arg));
    }
  }
  if (topic.empty()) {
    std::fprintf(stderr,
                 "usage: orders_check_invariants --topic T [--schema S] [--acknowledged FILE] [SUBSCRIBER...]\n");
    return 2;
  }
  const auto acks = acknowledged.empty() ? std::vector<orders::invariants::Acknowledged>{}
                                         : orders::invariants::ReadAcknowledged(acknowledged);
  const auto report =
      orders::invariants::CheckEverything(topic, orders::testing::DatabaseUrl(), schema, acks, subscribers);
  std::printf("%s\n", report.Summary().c_str());
  return report.ok() ? 0 : 1;
} catch (const std::exception& error) {
  std::fprintf(stderr, "orders_check_invariants: %s\n", error.what());
  return 2;
}

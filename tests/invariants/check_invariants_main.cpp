// orders_check_invariants: checks the platform's invariants (checker.hpp)
// after a scenario, from the command line (checker_arguments.hpp).
//
// KAFKA_BROKERS and DATABASE_URL as for the tests. Exit 0 when every
// invariant holds, 1 when one is broken, 2 on bad usage or a recording that
// cannot be read.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <orders/invariants/checker_arguments.hpp>
#include <orders/testing/test_env.hpp>

int main(int argc, char** argv) try {
  std::map<std::string, std::string> environment;
  for (const char* name : {"INVENTORY_TOPIC", "WORKFLOW", "PAYMENT_TIMEOUT"}) {
    if (const char* value = std::getenv(name)) environment[name] = value;
  }
  const auto parsed = orders::invariants::ParseCheckerArguments({argv + 1, argv + argc}, environment);
  if (!parsed.arguments) {
    std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return 2;
  }
  const auto& arguments = *parsed.arguments;
  std::vector<orders::invariants::SubscriberLog> subscribers;
  for (const auto& file : arguments.subscriber_files)
    subscribers.push_back(orders::invariants::ReadSubscriberLog(file));
  const auto acks = arguments.acknowledged.empty() ? std::vector<orders::invariants::Acknowledged>{}
                                                   : orders::invariants::ReadAcknowledged(arguments.acknowledged);
  const auto report = orders::invariants::CheckEverything(arguments.topic, orders::testing::DatabaseUrl(),
                                                          arguments.schema, acks, subscribers, arguments.options);
  std::printf("%s\n", report.Summary().c_str());
  return report.ok() ? 0 : 1;
} catch (const std::exception& error) {
  std::fprintf(stderr, "orders_check_invariants: %s\n", error.what());
  return 2;
}

#pragma once
// The one place where Kafka client settings become an RdKafka::Conf.
// Defaults follow shared/LIBRARY-NOTES.md for librdkafka 2.0.2: idempotent
// producer with acks=all, Nagle off, small linger; consumers never commit to
// Kafka on their own and start from the earliest offset.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafkacpp.h>
#include <orders/platform/result.hpp>

namespace orders::platform {

// Kafka record headers in order; the same type the event codec produces.
using KafkaHeaders = std::vector<std::pair<std::string, std::string>>;

struct KafkaSettings {
  std::string brokers;
  std::string client_id;
  std::string group_id;  // consumers in a group only
  // Extra librdkafka properties, applied last (tests and benchmarks).
  std::map<std::string, std::string> overrides;
};

Result<std::unique_ptr<RdKafka::Conf>> MakeProducerConf(const KafkaSettings& settings);
Result<std::unique_ptr<RdKafka::Conf>> MakeConsumerConf(const KafkaSettings& settings);

}  // namespace orders::platform

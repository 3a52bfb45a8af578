#pragma once
// The one place where Kafka client settings become an RdKafka::Conf.
// librdkafka 2.0.2's defaults do not fit us (docs/library-notes.md), so every
// client gets: Nagle off (on by default: tens of ms added to tails); producers
// idempotent with acks=all (idempotence is off by default) and a small linger;
// consumers that never commit or store offsets on their own and start from
// the earliest offset, with a short fetch wait for push latency.

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

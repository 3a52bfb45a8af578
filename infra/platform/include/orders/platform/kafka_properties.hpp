#pragma once
// librdkafka properties an operator passes through to every Kafka client of a
// service (SASL/TLS clusters, tuning): a properties file (KAFKA_CONFIG_FILE,
// `name=value` lines, `#` comments) and KAFKA_PROPERTY_<NAME> variables, where
// <NAME> is the property with dots written as underscores
// (KAFKA_PROPERTY_SECURITY_PROTOCOL=SASL_SSL). A variable wins over the file.
// Each property is checked by librdkafka at start. Properties the services'
// guarantees rest on (idempotent acks=all producers, offsets the services keep
// themselves, the brokers from KAFKA_BROKERS) cannot be changed. Values are
// never echoed in problems: they may be passwords.

#include <map>
#include <string>
#include <vector>

#include <orders/platform/kafka_settings.hpp>

namespace orders::platform {

struct KafkaPropertiesResult {
  std::map<std::string, std::string> properties;
  std::vector<std::string> problems;
};

KafkaPropertiesResult LoadKafkaProperties(const std::map<std::string, std::string>& environment,
                                          const std::string& config_file);

// For readers of busy topics (the projection, webhook dispatch, the command
// service's followers): the broker answers a fetch once 64 KiB are ready or
// fetch.wait.max.ms (20) passed, so a busy topic costs a few large fetches
// instead of one per produce request. Adds at most those 20 ms to the
// reader's lag: with several command-service instances, to each hop of the
// saga between an order's writer and its products' writers.
inline const std::map<std::string, std::string> kBatchedFetch = {{"fetch.min.bytes", "65536"}};

// For the projection, which replays its topic from offset 0 to build a read
// model and catches up on backlogs: kBatchedFetch with up to 8 MiB per
// partition in a fetch instead of librdkafka's 1 MiB. With 1 MiB a replaying
// consumer thread spent most of its time waiting for the next fetch while the
// writers it feeds sat idle. Prefetched records stay bounded by
// queued.max.messages.kbytes (64 MiB by default).
inline const std::map<std::string, std::string> kBulkFetch = {{"fetch.min.bytes", "65536"},
                                                              {"max.partition.fetch.bytes", "8388608"}};

// For readers on a latency path of a busy topic (the notifier's feeds, whose
// records become WebSocket updates): the same batching with a 5 ms wait. With
// the default fetch.min.bytes of 1 the broker answers a fetch as soon as any
// record arrives, so such a reader costs the broker a fetch request (and
// itself two wake-ups) for nearly every produce request at a moderate load,
// more work per event than at full load. Adds at most 5 ms to the reader's lag
// (2.5 ms on average); an idle reader fetches 200 times a second instead of 50.
inline const std::map<std::string, std::string> kPromptBatchedFetch = {{"fetch.min.bytes", "65536"},
                                                                       {"fetch.wait.max.ms", "5"}};

// A client's settings: the service's own `overrides`, then the operator's
// `properties` (which win: they describe the cluster).
KafkaSettings KafkaClientSettings(const std::string& brokers, const std::map<std::string, std::string>& properties,
                                  std::string client_id, std::string group_id = {},
                                  std::map<std::string, std::string> overrides = {});

}  // namespace orders::platform

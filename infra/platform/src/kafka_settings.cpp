#include <orders/platform/kafka_settings.hpp>

namespace orders::platform {
namespace {

Result<void> SetAll(RdKafka::Conf& conf, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    std::string detail;
    if (conf.set(name, value, detail) != RdKafka::Conf::CONF_OK) return Fail("kafka setting " + name + ": " + detail);
  }
  return {};
}

Result<std::unique_ptr<RdKafka::Conf>> Build(const KafkaSettings& settings, std::map<std::string, std::string> values) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  values["bootstrap.servers"] = settings.brokers;
  values["client.id"] = settings.client_id;
  values["socket.nagle.disable"] = "true";
  values["reconnect.backoff.ms"] = "50";
  values["reconnect.backoff.max.ms"] = "2000";
  for (const auto& [name, value] : settings.overrides) values[name] = value;
  if (auto set = SetAll(*conf, values); !set) return set.error();
  return conf;
}

}  // namespace

Result<std::unique_ptr<RdKafka::Conf>> MakeProducerConf(const KafkaSettings& settings) {
  return Build(settings, {
                             {"enable.idempotence", "true"},
                             {"acks", "all"},
                             {"linger.ms", "2"},
                             {"compression.type", "lz4"},
                             // Never time a record out: librdkafka 2.0.2 bumps the idempotent producer's
                             // epoch when one times out in flight and may then write batches a second time
                             // (docs/library-notes.md). Callers bound their own wait; these limits bound the
                             // queue (64 MiB, 100,000 records), beyond which Produce() fails at once.
                             {"message.timeout.ms", "0"},
                             // An error that would leave a hole in a partition's records (a batch failed for
                             // good while later ones were sent) is fatal instead: the producer is re-created
                             // and what it held is reported unknown. Chained appends (ProduceInOrder) queue a
                             // record that only holds after an earlier one before that one is acknowledged.
                             {"enable.gapless.guarantee", "true"},
                             {"queue.buffering.max.kbytes", "65536"},
                             {"queue.buffering.max.messages", "100000"},
                             {"request.timeout.ms", "5000"},
                             {"max.in.flight.requests.per.connection", "5"},
                         });
}

Result<std::unique_ptr<RdKafka::Conf>> MakeConsumerConf(const KafkaSettings& settings) {
  std::map<std::string, std::string> values = {
      {"enable.auto.commit", "false"},   {"enable.auto.offset.store", "false"},      {"auto.offset.reset", "earliest"},
      {"fetch.wait.max.ms", "20"},       {"enable.partition.eof", "true"},           {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"}, {"partition.assignment.strategy", "range"},
  };
  // librdkafka requires a group.id even for assign()-only consumers; such a
  // group never commits offsets.
  values["group.id"] = settings.group_id.empty() ? settings.client_id + "-unmanaged" : settings.group_id;
  return Build(settings, std::move(values));
}

}  // namespace orders::platform

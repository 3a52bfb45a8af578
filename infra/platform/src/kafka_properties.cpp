#include <orders/platform/kafka_properties.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <memory>
#include <string_view>

namespace orders::platform {
namespace {

constexpr std::string_view kPrefix = "KAFKA_PROPERTY_";

// What the services' guarantees rest on, or what has its own setting. A record that times out in flight makes
// the idempotent producer bump its epoch and maybe write batches twice (kafka_settings.cpp), so the message
// timeout and its alias are fixed too, and so is the gapless guarantee the command service's chained appends
// rest on (kafka_producer.hpp ProduceInOrder).
constexpr std::array<std::string_view, 12> kFixed = {"bootstrap.servers",
                                                     "metadata.broker.list",
                                                     "group.id",
                                                     "enable.idempotence",
                                                     "acks",
                                                     "enable.auto.commit",
                                                     "enable.auto.offset.store",
                                                     "auto.offset.reset",
                                                     "enable.partition.eof",
                                                     "message.timeout.ms",
                                                     "delivery.timeout.ms",
                                                     "enable.gapless.guarantee"};

std::string PropertyOfVariable(std::string_view suffix) {
  std::string name(suffix);
  for (char& c : name) c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string Trimmed(std::string text) {
  text.erase(0, text.find_first_not_of(" \t\r"));
  text.erase(text.find_last_not_of(" \t\r") + 1);
  return text;
}

void ReadFile(const std::string& path, std::map<std::string, std::string>& properties,
              std::vector<std::string>& problems) {
  std::ifstream file(path);
  if (!file) {
    problems.push_back("KAFKA_CONFIG_FILE " + path + " cannot be read");
    return;
  }
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    line = Trimmed(line);
    if (line.empty() || line[0] == '#') continue;
    const auto equals = line.find('=');
    if (equals == std::string::npos || equals == 0) {
      problems.push_back("KAFKA_CONFIG_FILE line " + std::to_string(number) + " is not name=value");
      continue;
    }
    properties[Trimmed(line.substr(0, equals))] = Trimmed(line.substr(equals + 1));
  }
}

}  // namespace

KafkaPropertiesResult LoadKafkaProperties(const std::map<std::string, std::string>& environment,
                                          const std::string& config_file) {
  KafkaPropertiesResult result;
  if (!config_file.empty()) ReadFile(config_file, result.properties, result.problems);
  for (const auto& [name, value] : environment) {
    if (name.size() > kPrefix.size() && name.starts_with(kPrefix)) {
      result.properties[PropertyOfVariable(std::string_view(name).substr(kPrefix.size()))] = value;
    }
  }
  std::unique_ptr<RdKafka::Conf> scratch(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] : result.properties) {
    if (std::find(kFixed.begin(), kFixed.end(), name) != kFixed.end()) {
      result.problems.push_back("Kafka property " + name + " cannot be changed" +
                                (name == "bootstrap.servers" ? " (use KAFKA_BROKERS)" : ""));
      continue;
    }
    std::string detail;
    if (scratch->set(name, value, detail) != RdKafka::Conf::CONF_OK) {
      // librdkafka's message may quote the value, which may be a secret.
      result.problems.push_back("Kafka property " + name + " is unknown or has an invalid value");
    }
  }
  return result;
}

KafkaSettings KafkaClientSettings(const std::string& brokers, const std::map<std::string, std::string>& properties,
                                  std::string client_id, std::string group_id,
                                  std::map<std::string, std::string> overrides) {
  for (const auto& [name, value] : properties) overrides[name] = value;
  return KafkaSettings{brokers, std::move(client_id), std::move(group_id), std::move(overrides)};
}

}  // namespace orders::platform

#pragma once
// Runs the Apache Kafka jars the infra scripts resolved with Maven, for the
// tests' private brokers (PrivateKafka, PrivateKafkaCluster) and Kafka's own
// command-line tools.

#include <sys/types.h>

#include <string>
#include <vector>

namespace orders::testing {

// $ORDERS_KAFKA_LIBS, else kafka-libs next to $ORDERS_KAFKA_PID_FILE, else .local/kafka-libs.
std::string KafkaLibs();

// Runs `java <jvm options> -cp <libs>/* <arguments>` with stdout and stderr
// appended to `log`, Kafka's own logs under `directory`/logs. With `wait`,
// returns the exit status; otherwise the child's pid at once.
pid_t RunKafkaJava(const std::string& libs, const std::string& directory, const std::vector<std::string>& arguments,
                   const std::string& log, bool wait);

// Replaces every `from` in `text` by `to` (for the @VAR@ of the properties templates).
std::string ReplaceAll(std::string text, const std::string& from, const std::string& to);

}  // namespace orders::testing

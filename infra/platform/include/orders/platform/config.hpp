#pragma once
// Typed service configuration, read once at start from environment variables
// and overridden by --flags. Every problem is collected so that a bad start
// prints one message listing all of them.
//
// Variables (flag = lower-case with dashes, e.g. --kafka-brokers=...):
//   KAFKA_BROKERS    default 127.0.0.1:9092
//   ORDERS_TOPIC     default orders.events
//   DATABASE_URL     default postgresql://orders@127.0.0.1:55432/orders
//   PORT             default per service (8080 / 8081 / 8082); 0 = any free port
//   BIND_ADDRESS     default 127.0.0.1
//   JWT_SECRET       default empty (auth off, logged loudly)
//   ALLOWED_ORIGINS  comma-separated; default empty (any origin when auth is off)
//   LOG_LEVEL        debug|info|warn|error, default info
//   CONSUMER_GROUP   default per service
//   READ_MODEL_SCHEMA PostgreSQL schema of the read model, default read_model
//   MAX_CONNECTIONS  notifier: WebSocket connections per instance; default 0 = what the descriptor limit allows
//   PAGE_API_ORIGINS notifier: comma-separated API origins the page may call besides its own host's service ports
//   SHUTDOWN_GRACE   seconds a SIGTERM waits for in-flight answers, 0-600, default 10

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::platform {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

struct ServiceConfig {
  std::string service_name;
  std::string kafka_brokers;
  std::string orders_topic;
  std::string database_url;
  std::uint16_t port = 0;
  std::string bind_address;
  std::string jwt_secret;
  std::vector<std::string> allowed_origins;
  LogLevel log_level = LogLevel::kInfo;
  std::string consumer_group;
  std::string read_model_schema;
  std::size_t max_connections = 0;  // 0: derived from the descriptor limit
  std::vector<std::string> page_api_origins;
  int shutdown_grace_seconds = 10;
};

struct ConfigDefaults {
  std::string service_name;
  std::uint16_t port = 0;
  std::string consumer_group;
};

struct ConfigResult {
  std::optional<ServiceConfig> config;
  std::vector<std::string> problems;  // empty when config is set
  bool help_requested = false;
};

// `environment` maps variable names to values (tests pass their own).
ConfigResult LoadConfig(const ConfigDefaults& defaults, const std::map<std::string, std::string>& environment,
                        const std::vector<std::string>& arguments);

// The process environment and argv, for main().
std::map<std::string, std::string> ProcessEnvironment();
std::vector<std::string> Arguments(int argc, char** argv);

std::string ConfigUsage(const ConfigDefaults& defaults);

}  // namespace orders::platform

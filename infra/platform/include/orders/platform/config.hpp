#pragma once
// Typed service configuration, read once at start from environment variables
// and overridden by --flags. Every problem is collected so that a bad start
// prints one message listing all of them.
//
// Variables (flag = lower-case with dashes, e.g. --kafka-brokers=...; secrets
// are read from the environment only, never from a command line):
//   KAFKA_BROKERS    default 127.0.0.1:9092
//   ORDERS_TOPIC     default orders.events
//   INVENTORY_TOPIC  command and projection services: default inventory.events (must differ from ORDERS_TOPIC)
//   DATABASE_URL     default postgresql://orders@127.0.0.1:55432/orders
//   PORT             default per service (8080 / 8081 / 8082); 0 = any free port
//   BIND_ADDRESS     default 127.0.0.1
//   AUTH             on|off, default on; off only with a loopback BIND_ADDRESS
//   JWT_SECRET       HS256 secret, at least 32 bytes (environment only)
//   JWKS_FILE        JWKS document with RS256/ES256 public keys, re-read periodically
//   JWKS_URL         http:// URL of a JWKS document, fetched periodically
//   JWKS_REFRESH_SECONDS  how often the JWKS is re-read, default 300
//   JWT_ISSUER       when set, tokens must carry this `iss`
//   JWT_AUDIENCE     when set, tokens' `aud` (string or array) must contain it
//   With AUTH=on at least one of JWT_SECRET, JWKS_FILE, JWKS_URL is required.
//   ALLOWED_ORIGINS  comma-separated browser origins allowed to call; "*" = any;
//                    default: the notifier page's origins (see PAGE_PORT)
//   LOG_LEVEL        debug|info|warn|error, default info
//   CONSUMER_GROUP   default per service
//   READ_MODEL_SCHEMA PostgreSQL schema of the read model, default read_model
//   PAGE_API_ORIGINS notifier: comma-separated API origins the page may call besides its own host's service ports
//   SHUTDOWN_GRACE   seconds a SIGTERM waits for in-flight answers, 0-600, default 10
//   COMMAND_API_URL  notifier: the command API that runs WebSocket commands, default http://127.0.0.1:8080
//   -- the HTTP edge (origins, hosts, rate limits, connections) --
//   PAGE_PORT        port of the notifier's web page, default 8082 (the notifier:
//                    its own PORT); ALLOWED_ORIGINS defaults to
//                    http://127.0.0.1:<PAGE_PORT>,http://localhost:<PAGE_PORT>
//   ALLOWED_HOSTS    comma-separated host names accepted in `Host` besides
//                    loopback ones while auth is off (DNS-rebinding guard)
//   RATE_LIMIT       on|off, default on
//   RATE_LIMIT_ANONYMOUS / _CUSTOMER / _COURIER / _STAFF / _SERVICE
//                    requests per caller as "<per second>/<burst>" or
//                    "unlimited"; defaults 20/100, 20/100, 20/100, 200/1000, unlimited
//   RATE_LIMIT_CONNECT  WebSocket connection attempts of callers without a
//                    token, customers and couriers, default 5/20
//   RATE_LIMIT_KEYS  callers tracked per API (fixed memory), default 65536
//   RATE_LIMIT_WS_MESSAGES  notifier: client messages per WebSocket connection, default 20/40
//   MAX_CONNECTIONS  open connections per service; 0 = the service's default (the notifier:
//                    what its descriptor limit allows)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include <orders/platform/origin_policy.hpp>
#include <orders/platform/rate_limiter.hpp>
#include <string>
#include <vector>

namespace orders::platform {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Who may call: how tokens are verified. Validated by LoadConfig (a key source
// when enabled; disabled only on loopback).
struct AuthConfig {
  bool enabled = true;
  std::string jwt_secret;  // HS256; empty: HS256 tokens are refused
  std::string jwks_file;
  std::string jwks_url;
  std::chrono::seconds jwks_refresh{300};
  std::string issuer;    // empty: `iss` not checked
  std::string audience;  // empty: `aud` not checked
};

// Whether a listener on `address` is reachable from this machine only.
bool IsLoopbackAddress(const std::string& address);

struct ServiceConfig {
  std::string service_name;
  std::string kafka_brokers;
  // librdkafka properties for every Kafka client (kafka_properties.hpp).
  std::map<std::string, std::string> kafka_properties;
  std::string orders_topic;
  std::string inventory_topic;
  std::string database_url;
  std::uint16_t port = 0;
  std::string bind_address;
  AuthConfig auth;
  std::vector<std::string> allowed_origins;
  LogLevel log_level = LogLevel::kInfo;
  std::string consumer_group;
  std::string read_model_schema;
  std::vector<std::string> page_api_origins;
  int shutdown_grace_seconds = 10;
  std::string command_api_url;  // the notifier forwards WebSocket commands here
  // The command service: where other instances forward commands for orders
  // this one writes; empty: http://<BIND_ADDRESS, or 127.0.0.1 for any>:<port>.
  std::string advertised_url;
  // The HTTP edge.
  std::uint16_t page_port = 8082;
  std::vector<std::string> allowed_hosts;  // lower-case host names
  RateLimitSettings rate_limits;
  std::size_t max_connections = 0;  // 0: the service's default
};

struct ConfigDefaults {
  std::string service_name;
  std::uint16_t port = 0;
  std::string consumer_group;
  // False for one-shot sub-commands that answer no requests (e.g. a rebuild):
  // the auth settings are neither required nor checked, and auth counts as off.
  bool serves_requests = true;
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

// The origin and host rules of `config` (origin_policy.hpp).
OriginRules OriginRulesOf(const ServiceConfig& config);

}  // namespace orders::platform

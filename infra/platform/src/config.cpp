#include <orders/platform/config.hpp>

#include <orders/platform/kafka_properties.hpp>

#include <algorithm>
#include <charconv>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>

extern char** environ;

namespace orders::platform {
namespace {

struct Variable {
  const char* env;
  const char* flag;  // nullptr: environment only (secrets)
  const char* help;
};

constexpr Variable kVariables[] = {
    {"KAFKA_BROKERS", "--kafka-brokers", "Kafka bootstrap servers"},
    {"KAFKA_CONFIG_FILE", "--kafka-config-file",
     "librdkafka properties (name=value lines) for every Kafka client; KAFKA_PROPERTY_<NAME> variables win"},
    {"ORDERS_TOPIC", "--orders-topic", "topic of order events"},
    {"INVENTORY_TOPIC", "--inventory-topic", "command and projection services: topic of inventory events"},
    {"DATABASE_URL", "--database-url", "PostgreSQL connection URL"},
    {"PORT", "--port", "HTTP port (0 = any free port)"},
    {"BIND_ADDRESS", "--bind-address", "address to listen on"},
    {"AUTH", "--auth", "on|off; off is refused unless BIND_ADDRESS is loopback"},
    {"JWT_SECRET", nullptr, "HS256 secret, at least 32 bytes"},
    {"JWKS_FILE", "--jwks-file", "JWKS document with RS256/ES256 keys"},
    {"JWKS_URL", "--jwks-url", "http:// URL of a JWKS document"},
    {"JWKS_REFRESH_SECONDS", "--jwks-refresh-seconds", "how often the JWKS is re-read"},
    {"JWT_ISSUER", "--jwt-issuer", "required token issuer (iss)"},
    {"JWT_AUDIENCE", "--jwt-audience", "required token audience (aud)"},
    {"ALLOWED_ORIGINS", "--allowed-origins", "comma-separated allowed Origins"},
    {"LOG_LEVEL", "--log-level", "debug|info|warn|error"},
    {"CONSUMER_GROUP", "--consumer-group", "Kafka consumer group"},
    {"READ_MODEL_SCHEMA", "--read-model-schema", "PostgreSQL schema of the read model"},
    {"PAGE_API_ORIGINS", "--page-api-origins", "notifier: comma-separated API origins the page may call"},
    {"SHUTDOWN_GRACE", "--shutdown-grace", "seconds a SIGTERM waits for in-flight answers (0-600)"},
    {"COMMAND_API_URL", "--command-api-url", "notifier: http:// URL of the command API that runs WebSocket commands"},
    {"ADVERTISED_URL", "--advertised-url",
     "command service: http:// URL other instances forward commands to (default: from BIND_ADDRESS and PORT)"},
    // The HTTP edge.
    {"PAGE_PORT", "--page-port", "port of the notifier page whose origins are allowed by default"},
    {"ALLOWED_HOSTS", "--allowed-hosts", "host names served besides loopback while auth is off"},
    {"RATE_LIMIT", "--rate-limit", "on|off"},
    {"RATE_LIMIT_ANONYMOUS", "--rate-limit-anonymous", "per-second/burst for callers without a token"},
    {"RATE_LIMIT_CUSTOMER", "--rate-limit-customer", "per-second/burst per customer"},
    {"RATE_LIMIT_COURIER", "--rate-limit-courier", "per-second/burst per courier"},
    {"RATE_LIMIT_STAFF", "--rate-limit-staff", "per-second/burst per staff member"},
    {"RATE_LIMIT_SERVICE", "--rate-limit-service", "per-second/burst per service, or unlimited"},
    {"RATE_LIMIT_CONNECT", "--rate-limit-connect", "WebSocket connection attempts per-second/burst"},
    {"RATE_LIMIT_KEYS", "--rate-limit-keys", "callers tracked per API"},
    {"RATE_LIMIT_WS_MESSAGES", "--rate-limit-ws-messages", "client messages per WebSocket connection per-second/burst"},
    {"MAX_CONNECTIONS", "--max-connections", "open HTTP connections; 0 = service default"},
};

std::optional<LogLevel> ParseLogLevel(const std::string& text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return std::nullopt;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::optional<std::size_t> ParseCount(const std::string& text) {
  std::size_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The edge settings (origins, hosts, rate limits, connections) of `values`.
void LoadEdgeConfig(const ConfigDefaults& defaults, std::map<std::string, std::string>& values, ServiceConfig& config,
                    std::vector<std::string>& problems) {
  const bool own_page = defaults.service_name == "notifier" && values["PAGE_PORT"].empty();
  const std::string page_port_text =
      own_page ? values["PORT"] : (values["PAGE_PORT"].empty() ? "8082" : values["PAGE_PORT"]);
  if (auto port = ParseCount(page_port_text); port && *port <= 65535) {
    config.page_port = static_cast<std::uint16_t>(*port);
  } else if (!own_page) {
    problems.push_back("PAGE_PORT must be a number from 1 to 65535");
  }
  if (values["ALLOWED_ORIGINS"].empty()) config.allowed_origins = PageOrigins(config.page_port);
  for (const auto& origin : config.allowed_origins) {
    // An origin is compared exactly as browsers send it: scheme://host[:port], no path.
    const bool web = origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0;
    const auto host_start = origin.find("://") + 3;
    if (origin != "*" && (!web || origin.size() == host_start || origin.find('/', host_start) != std::string::npos)) {
      problems.push_back("ALLOWED_ORIGINS entries must be * or scheme://host[:port] without a path, got '" + origin +
                         "'");
    }
  }
  for (const auto& host : SplitList(values["ALLOWED_HOSTS"])) config.allowed_hosts.push_back(HostName(host));

  auto& limits = config.rate_limits;
  const std::string& enabled = values["RATE_LIMIT"];
  if (enabled == "on" || enabled.empty()) {
    limits.enabled = true;
  } else if (enabled == "off") {
    limits.enabled = false;
  } else {
    problems.push_back("RATE_LIMIT must be on or off");
  }
  const auto limit = [&](const char* name, RateLimit& into) {
    const std::string& text = values[name];
    if (text.empty()) return;
    if (auto parsed = ParseRateLimit(text)) {
      into = *parsed;
    } else {
      problems.push_back(std::string(name) + " must be <per second>/<burst> (e.g. 20/100, burst >= 1) or unlimited");
    }
  };
  limit("RATE_LIMIT_ANONYMOUS", limits.requests.anonymous);
  limit("RATE_LIMIT_CUSTOMER", limits.requests.customer);
  limit("RATE_LIMIT_COURIER", limits.requests.courier);
  limit("RATE_LIMIT_STAFF", limits.requests.staff);
  limit("RATE_LIMIT_SERVICE", limits.requests.service);
  limits.connections.staff = limits.requests.staff;
  limits.connections.service = limits.requests.service;
  RateLimit connect = limits.connections.anonymous;
  limit("RATE_LIMIT_CONNECT", connect);
  limits.connections.anonymous = limits.connections.customer = limits.connections.courier = connect;
  limit("RATE_LIMIT_WS_MESSAGES", limits.socket_messages);
  if (!values["RATE_LIMIT_KEYS"].empty()) {
    auto keys = ParseCount(values["RATE_LIMIT_KEYS"]);
    if (keys && *keys >= 16 && *keys <= 10'000'000) {
      limits.max_keys = *keys;
    } else {
      problems.push_back("RATE_LIMIT_KEYS must be a number from 16 to 10000000");
    }
  }
  if (!values["MAX_CONNECTIONS"].empty()) {
    auto connections = ParseCount(values["MAX_CONNECTIONS"]);
    if (connections && *connections <= 1'000'000) {
      config.max_connections = *connections;
    } else {
      problems.push_back("MAX_CONNECTIONS must be a number from 0 to 1000000");
    }
  }
}

std::optional<unsigned> ParseUnsigned(const std::string& text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

void LoadAuth(std::map<std::string, std::string>& values, ServiceConfig& config, std::vector<std::string>& problems) {
  AuthConfig& auth = config.auth;
  const std::string& mode = values["AUTH"];
  if (mode != "on" && mode != "off") problems.push_back("AUTH must be on or off, got '" + mode + "'");
  auth.enabled = mode != "off";
  auth.jwt_secret = values["JWT_SECRET"];
  auth.jwks_file = values["JWKS_FILE"];
  auth.jwks_url = values["JWKS_URL"];
  auth.issuer = values["JWT_ISSUER"];
  auth.audience = values["JWT_AUDIENCE"];
  const auto refresh = ParseUnsigned(values["JWKS_REFRESH_SECONDS"]);
  if (!refresh || *refresh == 0 || *refresh > 86400) {
    problems.push_back("JWKS_REFRESH_SECONDS must be a number from 1 to 86400");
  } else {
    auth.jwks_refresh = std::chrono::seconds(*refresh);
  }
  if (!auth.enabled) {
    if (!IsLoopbackAddress(config.bind_address)) {
      problems.push_back("AUTH=off is only allowed when BIND_ADDRESS is loopback (127.0.0.1, ::1, localhost); got '" +
                         config.bind_address + "'");
    }
    return;
  }
  if (!auth.jwt_secret.empty() && auth.jwt_secret.size() < 32) {
    problems.push_back("JWT_SECRET must be at least 32 bytes");
  }
  if (!auth.jwks_url.empty() && auth.jwks_url.rfind("http://", 0) != 0) {
    problems.push_back("JWKS_URL must be an http:// URL (https is not supported; use JWKS_FILE kept up to date)");
  }
  if (!auth.jwks_file.empty() && !auth.jwks_url.empty()) problems.push_back("set JWKS_FILE or JWKS_URL, not both");
  if (auth.jwt_secret.empty() && auth.jwks_file.empty() && auth.jwks_url.empty()) {
    problems.push_back(
        "auth is on but no token key is configured: set JWT_SECRET (HS256), JWKS_FILE or JWKS_URL, "
        "or AUTH=off on a loopback address");
  }
}

}  // namespace

bool IsLoopbackAddress(const std::string& address) {
  if (address == "localhost" || address == "::1" || address == "[::1]") return true;
  in_addr ipv4{};
  if (::inet_pton(AF_INET, address.c_str(), &ipv4) == 1) return (ntohl(ipv4.s_addr) >> 24) == 127;
  return false;
}

ConfigResult LoadConfig(const ConfigDefaults& defaults, const std::map<std::string, std::string>& environment,
                        const std::vector<std::string>& arguments) {
  ConfigResult result;
  std::map<std::string, std::string> values = {
      {"KAFKA_BROKERS", "127.0.0.1:9092"},
      {"ORDERS_TOPIC", "orders.events"},
      {"INVENTORY_TOPIC", "inventory.events"},
      {"DATABASE_URL", "postgresql://orders@127.0.0.1:55432/orders"},
      {"PORT", std::to_string(defaults.port)},
      {"BIND_ADDRESS", "127.0.0.1"},
      {"AUTH", "on"},
      {"JWKS_REFRESH_SECONDS", "300"},
      {"ALLOWED_ORIGINS", ""},
      {"LOG_LEVEL", "info"},
      {"CONSUMER_GROUP", defaults.consumer_group},
      {"READ_MODEL_SCHEMA", "read_model"},
      {"MAX_CONNECTIONS", "0"},
      {"PAGE_API_ORIGINS", ""},
      {"SHUTDOWN_GRACE", "10"},
      {"COMMAND_API_URL", "http://127.0.0.1:8080"},
  };
  for (const auto& variable : kVariables) {
    if (auto it = environment.find(variable.env); it != environment.end()) values[variable.env] = it->second;
  }

  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument == "--help" || argument == "-h") {
      result.help_requested = true;
      continue;
    }
    const auto equals = argument.find('=');
    const std::string name = argument.substr(0, equals);
    const auto* variable = std::find_if(std::begin(kVariables), std::end(kVariables),
                                        [&](const Variable& v) { return v.flag != nullptr && name == v.flag; });
    if (variable == std::end(kVariables)) {
      result.problems.push_back("unknown argument " + name);
      continue;
    }
    if (equals != std::string::npos) {
      values[variable->env] = argument.substr(equals + 1);
    } else if (i + 1 < arguments.size()) {
      values[variable->env] = arguments[++i];
    } else {
      result.problems.push_back(name + " needs a value");
    }
  }

  ServiceConfig config;
  config.service_name = defaults.service_name;
  config.kafka_brokers = values["KAFKA_BROKERS"];
  {
    auto kafka = LoadKafkaProperties(environment, values["KAFKA_CONFIG_FILE"]);
    config.kafka_properties = std::move(kafka.properties);
    result.problems.insert(result.problems.end(), kafka.problems.begin(), kafka.problems.end());
  }
  config.orders_topic = values["ORDERS_TOPIC"];
  config.inventory_topic = values["INVENTORY_TOPIC"];
  config.database_url = values["DATABASE_URL"];
  config.bind_address = values["BIND_ADDRESS"];
  config.allowed_origins = SplitList(values["ALLOWED_ORIGINS"]);
  config.consumer_group = values["CONSUMER_GROUP"];
  config.read_model_schema = values["READ_MODEL_SCHEMA"];
  config.page_api_origins = SplitList(values["PAGE_API_ORIGINS"]);
  config.command_api_url = values["COMMAND_API_URL"];
  config.advertised_url = values["ADVERTISED_URL"];
  auto check_http_url = [&result](const char* name, const std::string& url) {
    const std::size_t host_start = std::string_view("http://").size();
    const bool valid = url.rfind("http://", 0) == 0 && url.size() > host_start && url[host_start] != '/' &&
                       url[host_start] != ':' && url.find_first_of("?#@ ") == std::string::npos;
    if (!valid) {
      result.problems.push_back(std::string(name) + " must be an http:// URL like http://127.0.0.1:8080, got '" + url +
                                "'");
    }
  };
  check_http_url("COMMAND_API_URL", config.command_api_url);
  if (!config.advertised_url.empty()) check_http_url("ADVERTISED_URL", config.advertised_url);
  for (const auto& origin : config.page_api_origins) {
    const bool scheme = origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0;
    if (!scheme || origin.find_first_of("/?#", origin.find("//") + 2) != std::string::npos ||
        origin.find_first_of(" ;'\"") != std::string::npos) {
      result.problems.push_back("PAGE_API_ORIGINS entries must be origins like https://api.example.com, got '" +
                                origin + "'");
    }
  }

  if (config.kafka_brokers.empty()) result.problems.push_back("KAFKA_BROKERS must not be empty");
  if (config.orders_topic.empty() || config.orders_topic.size() > 249) {
    result.problems.push_back("ORDERS_TOPIC must be 1-249 characters");
  }
  if (config.inventory_topic.empty() || config.inventory_topic.size() > 249) {
    result.problems.push_back("INVENTORY_TOPIC must be 1-249 characters");
  } else if (config.inventory_topic == config.orders_topic) {
    result.problems.push_back("INVENTORY_TOPIC must differ from ORDERS_TOPIC");
  }
  if (config.database_url.rfind("postgres", 0) != 0) {
    result.problems.push_back("DATABASE_URL must be a postgresql:// URL");
  }
  const std::string& port_text = values["PORT"];
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    result.problems.push_back("PORT must be a number from 0 to 65535, got '" + port_text + "'");
  }
  config.port = static_cast<std::uint16_t>(port);
  if (auto level = ParseLogLevel(values["LOG_LEVEL"])) {
    config.log_level = *level;
  } else {
    result.problems.push_back("LOG_LEVEL must be one of debug, info, warn, error");
  }
  const auto& schema = config.read_model_schema;
  if (schema.empty() || schema.size() > 63 ||
      !std::all_of(schema.begin(), schema.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }) ||
      (schema[0] >= '0' && schema[0] <= '9')) {
    result.problems.push_back("READ_MODEL_SCHEMA must be 1-63 characters of a-z 0-9 _, not starting with a digit");
  }
  const std::string& grace_text = values["SHUTDOWN_GRACE"];
  int grace = 0;
  auto [grace_end, grace_error] = std::from_chars(grace_text.data(), grace_text.data() + grace_text.size(), grace);
  if (grace_error != std::errc() || grace_end != grace_text.data() + grace_text.size() || grace < 0 || grace > 600) {
    result.problems.push_back("SHUTDOWN_GRACE must be a number of seconds from 0 to 600, got '" + grace_text + "'");
  }
  config.shutdown_grace_seconds = grace;
  if (defaults.serves_requests) {
    LoadAuth(values, config, result.problems);
  } else {
    config.auth.enabled = false;
  }
  LoadEdgeConfig(defaults, values, config, result.problems);

  if (result.problems.empty() && !result.help_requested) result.config = std::move(config);
  return result;
}

OriginRules OriginRulesOf(const ServiceConfig& config) {
  OriginRules rules;
  rules.allowed_origins = config.allowed_origins;
  rules.allowed_hosts = config.allowed_hosts;
  rules.check_host = !config.auth.enabled;
  return rules;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string::npos) environment[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return environment;
}

std::vector<std::string> Arguments(int argc, char** argv) {
  return std::vector<std::string>(argv + std::min(argc, 1), argv + argc);
}

std::string ConfigUsage(const ConfigDefaults& defaults) {
  std::ostringstream out;
  out << "Usage: " << defaults.service_name << " [--flag=value ...]\n"
      << "Each flag overrides the environment variable beside it; secrets come from the environment only.\n";
  for (const auto& variable : kVariables) {
    if (variable.flag) {
      out << "  " << variable.flag << "  (" << variable.env << ")  " << variable.help << "\n";
    } else {
      out << "  " << variable.env << "  (environment only)  " << variable.help << "\n";
    }
  }
  return out.str();
}

}  // namespace orders::platform

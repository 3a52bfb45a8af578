// orders-token: mints an HS256 token for local use and scripts.
//   orders-token --role staff --sub ops --ttl 1h [--iss ISSUER] [--aud AUDIENCE]
// The secret is never a flag (command lines are visible to every local user):
// JWT_SECRET from the environment, else the file ./infra/run.sh creates,
// $ORDERS_DATA/secrets/jwt_secret (ORDERS_DATA defaults to ./.local).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <orders/platform/jwt.hpp>

namespace {

constexpr const char* kUsage =
    "usage: orders-token --role customer|courier|staff|service [--sub SUBJECT] [--ttl 30m|1h|7d] [--iss ISSUER] [--aud "
    "AUDIENCE]\n"
    "Prints an HS256 token signed with JWT_SECRET (environment) or $ORDERS_DATA/secrets/jwt_secret.\n";

constexpr std::chrono::seconds kLongestTtl = std::chrono::hours(24 * 366);

// "90s", "15m", "1h", "7d": a positive count and one unit.
std::optional<std::chrono::seconds> ParseTtl(const std::string& text) {
  if (text.size() < 2) return std::nullopt;
  const std::string digits = text.substr(0, text.size() - 1);
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const long count = std::stol(digits);
  const std::map<char, long> unit_seconds = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  const auto unit = unit_seconds.find(text.back());
  if (count <= 0 || unit == unit_seconds.end()) return std::nullopt;
  const std::chrono::seconds ttl(count * unit->second);
  if (ttl > kLongestTtl) return std::nullopt;
  return ttl;
}

std::optional<std::string> ReadSecret(std::string& where) {
  if (const char* secret = std::getenv("JWT_SECRET"); secret && *secret) {
    where = "JWT_SECRET";
    return std::string(secret);
  }
  const char* data = std::getenv("ORDERS_DATA");
  where = std::string(data && *data ? data : ".local") + "/secrets/jwt_secret";
  std::ifstream file(where);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "orders-token: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> options = {{"--ttl", "1h"}};
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (name != "--role" && name != "--sub" && name != "--ttl" && name != "--iss" && name != "--aud") {
      return Fail("unknown argument " + name +
                  (name.rfind("--secret", 0) == 0 ? " (give JWT_SECRET in the environment)" : ""));
    }
    if (i + 1 >= argc) return Fail(name + " needs a value");
    options[name] = argv[++i];
  }
  if (!options.count("--role")) return Fail("--role is required");
  const auto role = orders::platform::ParseRole(options["--role"]);
  if (!role) return Fail("--role must be customer, courier, staff or service, got '" + options["--role"] + "'");
  const auto ttl = ParseTtl(options["--ttl"]);
  if (!ttl)
    return Fail("--ttl must be a positive number with s, m, h or d (at most 366d), got '" + options["--ttl"] + "'");
  const std::string subject =
      options.count("--sub") ? options["--sub"] : std::string(orders::platform::RoleName(*role));
  if (subject.empty()) return Fail("--sub must not be empty");

  std::string where;
  const auto secret = ReadSecret(where);
  if (!secret) return Fail("no secret: set JWT_SECRET or run ./infra/run.sh once to create " + where);
  if (secret->size() < 32) return Fail("the secret in " + where + " is shorter than 32 bytes");

  const auto now = std::chrono::system_clock::now();
  const auto seconds = [](auto time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  };
  nlohmann::json claims = {
      {"sub", subject}, {"role", options["--role"]}, {"iat", seconds(now)}, {"exp", seconds(now + *ttl)}};
  if (options.count("--iss")) claims["iss"] = options["--iss"];
  if (options.count("--aud")) claims["aud"] = options["--aud"];
  std::printf("%s\n", orders::platform::SignToken(claims.dump(), *secret).c_str());
  return 0;
}

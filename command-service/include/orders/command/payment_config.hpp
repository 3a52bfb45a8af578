#pragma once
// Typed settings of the fulfilment workflow and its payment gateway, read
// once at start from the environment. Every problem is collected so that a bad
// start names all.
//
//   WORKFLOW                              on|off, default on; off leaves every order pending for people to move
//   PAYMENT_GATEWAY                       simulator|http, default simulator
//   PAYMENT_URL                           http://host:port[/prefix], required with http
//   PAYMENT_SIMULATOR_LATENCY_MS          0-60000, default 20
//   PAYMENT_SIMULATOR_DECLINE_ABOVE_CENTS amounts above it are declined, default 1000000
//   PAYMENT_REQUEST_TIMEOUT_MS            one HTTP attempt, connect to last byte, 1-120000, default 5000
//   PAYMENT_RETRY_ATTEMPTS                attempts per call, 1-20, default 4
//   PAYMENT_RETRY_INITIAL_MS              backoff before the 2nd attempt, 1-60000, default 100
//   PAYMENT_RETRY_MAX_MS                  backoff ceiling, >= initial, at most 600000, default 5000
//   PAYMENT_BREAKER_THRESHOLD             consecutive failed attempts that open the circuit, 1-1000, default 5
//   PAYMENT_BREAKER_OPEN_MS               how long it stays open before one probe, 1-600000, default 10000
//   PAYMENT_CONCURRENCY                   HTTP requests in flight at once, 1-256, default 8
//   PAYMENT_TIMEOUT                       how long an order may wait for payment, e.g. 900s, 15m, 1h;
//                                         a bare number is seconds; 1s-30d, default 15m

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <orders/platform/duration.hpp>

namespace orders::command {

struct RetrySettings {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

struct BreakerSettings {
  int failure_threshold = 5;
  std::chrono::milliseconds open_for{10000};
};

struct PaymentConfig {
  bool workflow = true;
  enum class Kind { kSimulator, kHttp };
  Kind kind = Kind::kSimulator;
  std::string url;  // PAYMENT_URL without a trailing '/'
  std::chrono::milliseconds simulator_latency{20};
  std::int64_t simulator_decline_above_cents = 1000000;
  std::chrono::milliseconds request_timeout{5000};
  RetrySettings retry;
  BreakerSettings breaker;
  int concurrency = 8;
  std::chrono::milliseconds payment_timeout{std::chrono::minutes(15)};
};

struct PaymentConfigResult {
  std::optional<PaymentConfig> config;
  std::vector<std::string> problems;  // empty when config is set
};

PaymentConfigResult LoadPaymentConfig(const std::map<std::string, std::string>& environment);

// "15m", "900s", "1h", "2d", "250ms" or a bare number of seconds (shared with the other services).
using platform::ParseDuration;

}  // namespace orders::command

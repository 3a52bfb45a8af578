#pragma once
// Typed webhook settings, read once at start from the environment. Every
// problem is collected so that a bad start names all of them.
//
//   WEBHOOKS                       on|off; default on when DATABASE_URL is set in the environment
//                                  (registrations and progress live in PostgreSQL), off otherwise
//   WEBHOOK_RETRY_SCHEDULE         waits before each retry, comma-separated durations (1-30 of them,
//                                  each 10ms-7d), default 5s,30s,2m,15m,1h,6h,24h; after the last
//                                  retry fails the delivery is listed as failed
//   WEBHOOK_TIMEOUT                one attempt, connect to last byte, 100ms-120s, default 10s
//   WEBHOOK_DISABLE_AFTER          an endpoint whose every attempt failed for this long is
//                                  disabled, 1s-365d, default 5d
//   WEBHOOK_WORKERS                delivery threads, 1-256, default 16
//   WEBHOOK_MAX_ENDPOINTS          registrations accepted, 1-100000, default 1000
//   WEBHOOK_ALLOW_PRIVATE_TARGETS  true|false, default false: URLs resolving to private, loopback
//                                  or link-local addresses are refused
//   WEBHOOK_CA_FILE                PEM bundle trusted for https targets, default the system's
//   WEBHOOK_MAX_RESPONSE_BYTES     answer bytes read per attempt, 1024-16777216, default 65536
//   WEBHOOK_QUEUE_PER_ENDPOINT     events held in memory per endpoint before new ones go straight
//                                  to the ledger (due at once), 1-1000000, default 1000

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::notifier::webhooks {

struct WebhookConfig {
  bool enabled = false;
  std::vector<std::chrono::milliseconds> retry_schedule;  // the default schedule once loaded
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds disable_after{std::chrono::hours(24 * 5)};
  int workers = 16;
  std::size_t max_endpoints = 1000;
  bool allow_private_targets = false;
  std::string ca_file;  // empty: the system's trust store
  std::size_t max_response_bytes = 65536;
  std::size_t queue_per_endpoint = 1000;
};

struct WebhookConfigResult {
  std::optional<WebhookConfig> config;
  std::vector<std::string> problems;  // empty when config is set
};

WebhookConfigResult LoadWebhookConfig(const std::map<std::string, std::string>& environment);

// "5s,30s,2m" -> {5s, 30s, 2m}; nullopt when any entry is malformed or out of range.
std::optional<std::vector<std::chrono::milliseconds>> ParseRetrySchedule(const std::string& text);

}  // namespace orders::notifier::webhooks

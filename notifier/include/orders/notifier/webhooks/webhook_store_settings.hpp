#pragma once
// Where the webhook registrations live and how many there may be, read once
// at start from the environment. Every problem is collected.
//
//   WEBHOOK_SCHEMA         PostgreSQL schema of the notifier's tables, default notifier
//                          ([a-z_][a-z0-9_]*, at most 63 bytes); DATABASE_URL says which database
//   WEBHOOK_MAX_ENDPOINTS  registrations accepted, 1-100000, default 1000

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::notifier::webhooks {

struct WebhookStoreSettings {
  std::string schema = "notifier";
  std::size_t max_endpoints = 1000;
};

struct WebhookStoreSettingsResult {
  std::optional<WebhookStoreSettings> settings;
  std::vector<std::string> problems;  // empty when settings is set
};

WebhookStoreSettingsResult LoadWebhookStoreSettings(const std::map<std::string, std::string>& environment);

}  // namespace orders::notifier::webhooks

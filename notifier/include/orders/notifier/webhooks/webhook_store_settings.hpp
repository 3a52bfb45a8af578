#pragma once
// Where the webhook registrations live, read once at start from the
// environment (the other WEBHOOK_* settings: webhook_config.hpp).
//
//   WEBHOOK_SCHEMA         PostgreSQL schema of the notifier's tables, default notifier
//                          ([a-z_][a-z0-9_]*, at most 63 bytes); DATABASE_URL says which database

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::notifier::webhooks {

struct WebhookStoreSettings {
  std::string schema = "notifier";
};

struct WebhookStoreSettingsResult {
  std::optional<WebhookStoreSettings> settings;
  std::vector<std::string> problems;  // empty when settings is set
};

WebhookStoreSettingsResult LoadWebhookStoreSettings(const std::map<std::string, std::string>& environment);

}  // namespace orders::notifier::webhooks

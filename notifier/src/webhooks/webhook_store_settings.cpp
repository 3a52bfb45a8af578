#include <orders/notifier/webhooks/webhook_store_settings.hpp>

namespace orders::notifier::webhooks {
namespace {

bool IsSchemaName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  return name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

}  // namespace

WebhookStoreSettingsResult LoadWebhookStoreSettings(const std::map<std::string, std::string>& environment) {
  WebhookStoreSettings settings;
  std::vector<std::string> problems;
  if (const auto it = environment.find("WEBHOOK_SCHEMA"); it != environment.end() && !it->second.empty()) {
    if (IsSchemaName(it->second)) {
      settings.schema = it->second;
    } else {
      problems.push_back("WEBHOOK_SCHEMA must be a lower-case schema name ([a-z_][a-z0-9_]*, at most 63 bytes)");
    }
  }
  if (!problems.empty()) return {std::nullopt, std::move(problems)};
  return {settings, {}};
}

}  // namespace orders::notifier::webhooks

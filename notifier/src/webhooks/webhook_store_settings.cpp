#include <orders/notifier/webhooks/webhook_store_settings.hpp>

#include <charconv>

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
  if (const auto it = environment.find("WEBHOOK_MAX_ENDPOINTS"); it != environment.end() && !it->second.empty()) {
    const std::string& text = it->second;
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > 100000) {
      problems.push_back("WEBHOOK_MAX_ENDPOINTS must be a whole number from 1 to 100000");
    } else {
      settings.max_endpoints = value;
    }
  }
  if (!problems.empty()) return {std::nullopt, std::move(problems)};
  return {settings, {}};
}

}  // namespace orders::notifier::webhooks

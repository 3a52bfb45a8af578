#pragma once
// What the /webhooks API does, without HTTP: validates requests, calls the
// registry and the ledger, and says what to answer (a status and a JSON body,
// or a problem). webhook_api.hpp puts it on the router.
//
// Secrets: a new endpoint's secret comes from `new_secret` and appears in
// Create's answer only; List/Get never show it, and nothing here logs it.
// Stores throw when PostgreSQL is unreachable: callers map that to 503.
// Blocking (store calls, `check_url` may resolve names): run it off any event loop.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/notifier/webhooks/webhook_ports.hpp>
#include <orders/platform/problem.hpp>

namespace orders::notifier::webhooks {

struct WebhookAdminLimits {
  std::size_t max_body_bytes = 16 * 1024;  // larger bodies: 413
  std::size_t max_events = 50;
  std::size_t max_description_characters = 500;  // code points, as JSON Schema's maxLength counts
  std::size_t max_url_bytes = 2048;
  std::size_t max_endpoints = 1000;  // what the registry enforces; named in the 409
  std::size_t default_page = 20;
  std::size_t max_page = 100;
};

struct WebhookAdminDeps {
  EndpointRegistry& registry;
  DeliveryLedger& ledger;
  // Empty when the URL may be registered, else a short reason for the client.
  std::function<std::string(std::string_view)> check_url;
  std::function<std::string()> new_secret;
  WebhookAdminLimits limits;
};

struct AdminAnswer {
  int status = 200;
  nlohmann::json body;  // when no problem
  std::optional<platform::Problem> problem;
  std::vector<std::pair<std::string, std::string>> headers;
};

class WebhookAdmin {
 public:
  explicit WebhookAdmin(WebhookAdminDeps deps) : deps_(std::move(deps)) {}

  // POST /webhooks {url, events, description?} -> 201 with the secret.
  AdminAnswer Create(std::string_view body);
  AdminAnswer List();
  AdminAnswer Get(const std::string& id);
  AdminAnswer Delete(const std::string& id);
  // GET /webhooks/{id}/deliveries?status=&cursor=&limit=
  AdminAnswer Deliveries(const std::string& id, const std::map<std::string, std::string>& query);
  // POST /webhooks/{id}/replay {from} -> 202 {replayed}
  AdminAnswer Replay(const std::string& id, std::string_view body);

 private:
  std::optional<AdminAnswer> RefuseOversized(std::string_view body) const;
  std::optional<Endpoint> Find(const std::string& id, AdminAnswer& missing);

  WebhookAdminDeps deps_;
};

// "ep_" + a canonical lower-case UUID: what the registries hand out.
bool IsEndpointId(std::string_view id);

}  // namespace orders::notifier::webhooks

#pragma once
// The /webhooks routes on the notifier's router (staff and service tokens
// only: 401 without a valid token, 403 for other roles):
//   POST   /webhooks                      register -> 201 (the secret, once)
//   GET    /webhooks                      list (no secrets)
//   GET    /webhooks/{id}                 one (no secret)
//   DELETE /webhooks/{id}                 -> 204
//   GET    /webhooks/{id}/deliveries      ?status=failed|pending|delivered&cursor=&limit=
//   POST   /webhooks/{id}/replay          {from} -> 202 {replayed}
// Documented in schemas/notifier-openapi.yaml.
//
// The checks of the token run on the router's thread (the notifier's io
// thread); the rest (database, URL checks that may resolve names) runs on
// the API's own worker thread, so a slow database never stalls WebSocket
// fan-out. At most `max_queued` requests wait for it; more get 503. A
// database error is a 503 problem with Retry-After, never its text.

#include <atomic>
#include <memory>
#include <thread>

#include <orders/notifier/webhooks/webhook_admin.hpp>
#include <orders/platform/authenticator.hpp>
#include <orders/platform/restinio/router.hpp>

namespace orders::notifier::webhooks {

class WebhookApi {
 public:
  WebhookApi(std::shared_ptr<const platform::Authenticator> authenticator, std::unique_ptr<WebhookAdmin> admin,
             std::size_t max_queued = 64);
  ~WebhookApi();  // finishes the queued requests' answers (503) and joins the worker

  WebhookApi(const WebhookApi&) = delete;
  WebhookApi& operator=(const WebhookApi&) = delete;

  void AddRoutes(platform::http::Router& router);

 private:
  // Authorizes on the calling thread, then runs `work` on the worker and answers with its result.
  void Handle(const platform::http::ExchangePtr& exchange,
              std::function<AdminAnswer(WebhookAdmin&, const platform::http::Exchange&)> work);

  std::shared_ptr<const platform::Authenticator> authenticator_;
  std::unique_ptr<WebhookAdmin> admin_;
  std::size_t max_queued_;
  std::atomic<std::size_t> queued_{0};
  asio::io_context worker_context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
  std::thread worker_;
};

}  // namespace orders::notifier::webhooks

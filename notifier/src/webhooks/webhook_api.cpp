#include <orders/notifier/webhooks/webhook_api.hpp>

#include <orders/platform/log.hpp>

namespace orders::notifier::webhooks {
namespace {

namespace http = platform::http;

constexpr std::initializer_list<platform::Role> kStaffOrService = {platform::Role::kStaff, platform::Role::kService};

void Respond(http::Exchange& exchange, const AdminAnswer& answer) {
  if (answer.problem) {
    exchange.RespondProblem(*answer.problem, answer.headers);
  } else if (answer.status == 204) {
    exchange.RespondText(204, "application/json", "", answer.headers);
  } else {
    exchange.RespondJson(answer.status, answer.body, answer.headers);
  }
}

const http::HeaderList kRetryAfter = {{"Retry-After", "1"}};

}  // namespace

WebhookApi::WebhookApi(std::shared_ptr<const platform::Authenticator> authenticator,
                       std::unique_ptr<WebhookAdmin> admin, std::size_t max_queued)
    : authenticator_(std::move(authenticator)),
      admin_(std::move(admin)),
      max_queued_(max_queued),
      work_guard_(asio::make_work_guard(worker_context_)),
      worker_([this] { worker_context_.run(); }) {}

WebhookApi::~WebhookApi() {
  work_guard_.reset();
  worker_context_.stop();
  worker_.join();
  // Requests still queued are answered by their Exchange's destructor (500) when the
  // handlers are destroyed with the context.
}

void WebhookApi::Handle(const http::ExchangePtr& exchange,
                        std::function<AdminAnswer(WebhookAdmin&, const http::Exchange&)> work) {
  if (!exchange->Authorize(*authenticator_, kStaffOrService)) return;
  if (queued_.fetch_add(1) >= max_queued_) {
    --queued_;
    exchange->RespondProblem(platform::UnavailableProblem("Too many webhook requests are waiting."), kRetryAfter);
    return;
  }
  asio::post(worker_context_, [this, exchange, work = std::move(work)] {
    try {
      Respond(*exchange, work(*admin_, *exchange));
    } catch (const std::exception& error) {
      // The text may name tables or the server; it goes to the log, never to the client.
      platform::LogWarn("webhook store unavailable", {{"error", error.what()}});
      exchange->RespondProblem(platform::UnavailableProblem("The webhook store is temporarily unavailable."),
                               kRetryAfter);
    }
    --queued_;
  });
}

void WebhookApi::AddRoutes(http::Router& router) {
  router.Add(restinio::http_method_post(), "/webhooks", [this](const http::ExchangePtr& exchange) {
    Handle(exchange,
           [](WebhookAdmin& admin, const http::Exchange& call) { return admin.Create(call.request().body()); });
  });
  router.Add(restinio::http_method_get(), "/webhooks", [this](const http::ExchangePtr& exchange) {
    Handle(exchange, [](WebhookAdmin& admin, const http::Exchange&) { return admin.List(); });
  });
  router.Add(restinio::http_method_get(), "/webhooks/{id}", [this](const http::ExchangePtr& exchange) {
    Handle(exchange, [](WebhookAdmin& admin, const http::Exchange& call) { return admin.Get(call.RouteParam("id")); });
  });
  router.Add(restinio::http_method_delete(), "/webhooks/{id}", [this](const http::ExchangePtr& exchange) {
    Handle(exchange,
           [](WebhookAdmin& admin, const http::Exchange& call) { return admin.Delete(call.RouteParam("id")); });
  });
  router.Add(restinio::http_method_get(), "/webhooks/{id}/deliveries", [this](const http::ExchangePtr& exchange) {
    Handle(exchange, [](WebhookAdmin& admin, const http::Exchange& call) {
      auto query = call.Query();
      if (!query) {
        return AdminAnswer{
            400,
            {},
            platform::Problem{400, "Bad Request", "The query string is malformed or repeats a parameter.", {}, {}},
            {}};
      }
      query->erase("access_token");  // tokens belong in the header; a stray one is not a filter
      return admin.Deliveries(call.RouteParam("id"), *query);
    });
  });
  router.Add(restinio::http_method_post(), "/webhooks/{id}/replay", [this](const http::ExchangePtr& exchange) {
    Handle(exchange, [](WebhookAdmin& admin, const http::Exchange& call) {
      return admin.Replay(call.RouteParam("id"), call.request().body());
    });
  });
}

}  // namespace orders::notifier::webhooks

#include <orders/notifier/service.hpp>

#include <sys/resource.h>

#include <atomic>
#include <future>
#include <map>

#include <orders/notifier/cache_settings.hpp>
#include <orders/notifier/command_api_client.hpp>
#include <orders/notifier/connection_budget.hpp>
#include <orders/notifier/events_endpoint.hpp>
#include <orders/notifier/handshake.hpp>
#include <orders/notifier/log_feed.hpp>
#include <orders/notifier/order_lookup_worker.hpp>
#include <orders/notifier/page_policy.hpp>
#include <orders/notifier/page_settings.hpp>
#include <orders/notifier/read_model_source.hpp>
#include <orders/notifier/sse_settings.hpp>
#include <orders/notifier/web_page.hpp>
#include <orders/notifier/webhooks/dispatcher.hpp>
#include <orders/notifier/webhooks/http_webhook_sender.hpp>
#include <orders/notifier/webhooks/pg_webhook_store.hpp>
#include <orders/notifier/webhooks/target_policy.hpp>
#include <orders/notifier/webhooks/webhook_api.hpp>
#include <orders/notifier/webhooks/webhook_config.hpp>
#include <orders/notifier/webhooks/webhook_signer.hpp>
#include <orders/notifier/webhooks/webhook_store_settings.hpp>
#include <orders/notifier/ws_session.hpp>
#include <orders/platform/authenticator.hpp>
#include <orders/platform/kafka_properties.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/restinio/http_server.hpp>
#include <orders/platform/restinio/operational_routes.hpp>

namespace orders::notifier {

namespace http = platform::http;

namespace {

// A connection's message budget from RATE_LIMIT_WS_MESSAGES; none with RATE_LIMIT=off, like every
// other limit (load generators and benchmarks run that way).
HubLimits LimitsFrom(const platform::RateLimitSettings& rate_limits, const CacheSettings& cache) {
  HubLimits limits;
  limits.lookup_timeout = cache.lookup_timeout;
  const bool limited = rate_limits.enabled && !rate_limits.socket_messages.unlimited();
  limits.messages_per_second = limited ? rate_limits.socket_messages.per_second : 0;
  limits.message_burst = limited ? rate_limits.socket_messages.burst : limits.message_burst;
  return limits;
}

}  // namespace

struct NotifierService::Parts {
  Parts(const platform::ServiceConfig& config, const CacheSettings& cache_settings)
      : cache(OrderCacheLimits{cache_settings.max_bytes}),
        hub(cache, LimitsFrom(config.rate_limits, cache_settings), &command_runner,
            cache_settings.read_model_lookup ? &order_lookup : nullptr),
        sessions_gauge(registry.AddGauge("orders_notifier_subscribers", "Connected WebSocket clients")),
        sent(registry.AddCounter("orders_notifier_messages_sent_total", "WebSocket messages sent")),
        updates(registry.AddCounter("orders_notifier_updates_delivered_total", "Updates delivered to subscribers")),
        slow_closed(registry.AddCounter("orders_notifier_slow_clients_closed_total",
                                        "Subscribers closed for falling behind (1013)")),
        rate_limited(
            registry.AddCounter("orders_notifier_rate_limited_total", "Client messages refused by rate limit")),
        cached(registry.AddGauge("orders_notifier_cached_orders", "Orders held in the notifier's cache")),
        connections(registry.AddGauge("orders_notifier_connections",
                                      "WebSocket connections holding a socket, closing ones included")),
        refused(registry.AddCounter("orders_notifier_connections_refused_total",
                                    "WebSocket upgrades answered 503: the connection limit was reached")),
        commands(registry.AddCounter("orders_notifier_commands_forwarded_total",
                                     "WebSocket commands forwarded to the command API")),
        open_deliveries(registry.AddGauge("orders_notifier_open_deliveries", "Orders open for delivery")),
        config_(config) {}

  // The client's sockets belong to the server's io_context: let them go first. The lookup
  // worker posts to it: stop it before that.
  ~Parts() {
    if (order_lookup.worker) order_lookup.worker->Stop();
    command_runner.client.reset();
  }

  // Forwards to the command API once the server (and its io thread) exists.
  struct ForwardingRunner : CommandRunner {
    std::unique_ptr<CommandApiClient> client;
    void Run(const HttpCall& call, const std::string& token, std::function<void(CommandAnswer)> done) override {
      client->Run(call, token, std::move(done));
    }
  };

  // Forwards to the read-model lookup worker once the server (and its io thread) exists.
  struct ForwardingLookup : OrderLookup {
    std::unique_ptr<OrderSource> source;
    std::unique_ptr<OrderLookupWorker> worker;
    void Find(const std::string& order_id, std::function<void(OrderLookupResult)> done) override {
      worker->Find(order_id, std::move(done));
    }
  };

  platform::MetricsRegistry registry;
  ForwardingRunner command_runner;
  ForwardingLookup order_lookup;
  OrderCache cache;
  Hub hub;
  platform::Gauge& sessions_gauge;
  platform::Counter& sent;
  platform::Counter& updates;
  platform::Counter& slow_closed;
  platform::Counter& rate_limited;
  platform::Gauge& cached;
  platform::Gauge& connections;
  platform::Counter& refused;
  platform::Counter& commands;
  platform::Gauge& open_deliveries;
  std::size_t max_websockets = 0;
  std::string page;  // index.html with the configured API origins and settings
  std::map<std::uint16_t, platform::Counter*> protocol_closes;  // by close code, created on the io thread
  std::unique_ptr<http::HttpServer> server;
  std::unique_ptr<SendBatcher> batcher;  // on the server's io thread
  std::unique_ptr<LogFeed> feed;
  std::unique_ptr<InventoryFeed> inventory_feed;
  platform::Counter& topic_messages{
      registry.AddCounter("orders_notifier_topic_messages_total", "Topic subscription messages sent (WebSocket)")};
  std::unique_ptr<asio::steady_timer> ticker;
  std::map<SessionId, std::weak_ptr<Sink>> sessions;  // WebSockets and event streams
  SessionId next_session = 1;
  std::atomic<bool> stopping{false};
  const platform::ServiceConfig& config_;
  std::shared_ptr<const platform::Authenticator> authenticator;
  std::unique_ptr<EventsEndpoint> events;  // GET /events
  webhooks::WebhookConfig webhook_config;
  std::unique_ptr<webhooks::Dispatcher> webhooks;  // with WEBHOOKS=on, once StartWebhookDispatch ran

  // Webhook dispatch over the registry, the ledger and the sender (with
  // WEBHOOKS=on). A failure to join the consumer group stops the start.
  platform::Result<void> StartWebhookDispatch(webhooks::EndpointRegistry& endpoints, webhooks::DeliveryLedger& ledger,
                                              webhooks::WebhookSender& sender) {
    webhooks = webhooks::MakeWebhookDispatcher(config_, webhook_config, endpoints, ledger, sender, registry);
    return webhooks->Start();
  }
  std::unique_ptr<webhooks::EndpointRegistry> webhook_registry;  // the API's own connections
  std::unique_ptr<webhooks::DeliveryLedger> webhook_ledger;
  // The dispatcher's: deliveries never wait behind the API's queries.
  std::unique_ptr<webhooks::EndpointRegistry> dispatch_registry;
  std::unique_ptr<webhooks::DeliveryLedger> dispatch_ledger;
  std::unique_ptr<webhooks::WebhookSender> webhook_sender;
  std::unique_ptr<webhooks::WebhookApi> webhook_api;

  void Tick() {
    ticker->expires_after(std::chrono::milliseconds(100));
    ticker->async_wait([this](asio::error_code error) {
      if (error || stopping) return;
      hub.Tick(Clock::now());
      const auto& stats = hub.stats();
      sessions_gauge.Set(static_cast<double>(stats.sessions));
      sent.Inc(stats.messages_sent - sent.Value());
      updates.Inc(stats.updates_delivered - updates.Value());
      rate_limited.Inc(stats.rate_limited - rate_limited.Value());
      cached.Set(static_cast<double>(cache.size()));
      cache_bytes.Set(static_cast<double>(cache.bytes()));
      evictions.Inc(cache.evictions() - evictions.Value());
      lookups_found.Inc(stats.lookups_found - lookups_found.Value());
      lookups_absent.Inc(stats.lookups_absent - lookups_absent.Value());
      lookups_failed.Inc(stats.lookups_failed - lookups_failed.Value());
      lookups_timed_out.Inc(stats.lookups_timed_out - lookups_timed_out.Value());
      revived.Inc(stats.orders_revived - stats.revived_from_newer_state - revived.Value());
      revived_newer.Inc(stats.revived_from_newer_state - revived_newer.Value());
      revivals_given_up.Inc(stats.revivals_given_up - revivals_given_up.Value());
      open_deliveries.Set(static_cast<double>(cache.open_count()));
      commands.Inc(stats.commands_forwarded - commands.Value());
      topic_messages.Inc(stats.topic_messages_delivered - topic_messages.Value());
      // One walk over the sessions every 500 ms: drop the ended ones, tick
      // the others (pings, close deadlines) and, every second, sum their buffers.
      if (++ticks % 5 == 0) {
        SweepSessions();
        TickSessions();
        connections.Set(static_cast<double>(sessions.size()));
      }
      if (ticks % 10 == 0) MeasureBuffers();
      Tick();
    });
  }

  // What the connections hold, once a second: a walk over every session is
  // cheap next to a tick's other work, and keeps the sessions free of shared counters.
  platform::Gauge& queued_bytes{
      registry.AddGauge("orders_notifier_queued_bytes", "Bytes waiting in the connections' send queues")};
  platform::Gauge& buffer_bytes{registry.AddGauge(
      "orders_notifier_buffer_bytes", "Bytes of buffers held by connections (send queue storage, partial messages)")};
  std::uint64_t ticks = 0;
  platform::Gauge& cache_bytes{registry.AddGauge(
      "orders_notifier_cache_bytes", "Bytes the order cache holds, as estimated against NOTIFIER_CACHE_BYTES")};
  platform::Gauge& cache_budget{
      registry.AddGauge("orders_notifier_cache_budget_bytes", "The order cache's budget (NOTIFIER_CACHE_BYTES)")};
  platform::Counter& evictions{registry.AddCounter("orders_notifier_cache_evictions_total",
                                                   "Orders dropped from the cache to stay within its budget")};
  // Read-model lookups of orders the cache dropped, by how they ended.
  platform::Counter& lookups_found{registry.AddCounter("orders_notifier_read_model_lookups_total",
                                                       "Read-model lookups of orders the cache dropped",
                                                       {{"outcome", "found"}})};
  platform::Counter& lookups_absent{registry.AddCounter("orders_notifier_read_model_lookups_total",
                                                        "Read-model lookups of orders the cache dropped",
                                                        {{"outcome", "absent"}})};
  platform::Counter& lookups_failed{registry.AddCounter("orders_notifier_read_model_lookups_total",
                                                        "Read-model lookups of orders the cache dropped",
                                                        {{"outcome", "failed"}})};
  platform::Counter& lookups_timed_out{registry.AddCounter("orders_notifier_read_model_lookups_total",
                                                           "Read-model lookups of orders the cache dropped",
                                                           {{"outcome", "timed_out"}})};
  // Live orders the cache dropped and held again from the read model (hub.hpp), by how it went.
  platform::Counter& revived{registry.AddCounter("orders_notifier_revivals_total",
                                                 "Dropped live orders held again from the read model",
                                                 {{"outcome", "in_step"}})};
  platform::Counter& revived_newer{registry.AddCounter("orders_notifier_revivals_total",
                                                       "Dropped live orders held again from the read model",
                                                       {{"outcome", "newer_state"}})};
  platform::Counter& revivals_given_up{registry.AddCounter("orders_notifier_revivals_total",
                                                           "Dropped live orders held again from the read model",
                                                           {{"outcome", "given_up"}})};
  void MeasureBuffers() {
    std::size_t queued = 0, held = 0;
    for (const auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) {
        queued += session->queued_bytes();
        held += session->buffer_bytes();
      }
    }
    queued_bytes.Set(static_cast<double>(queued));
    buffer_bytes.Set(static_cast<double>(held));
  }

  void SweepSessions() {
    std::erase_if(sessions, [](const auto& entry) { return entry.second.expired(); });
    last_sweep = Clock::now();
  }

  // Whether every connection place is taken. The map keeps ended sessions
  // until a sweep, and a sweep walks every session (milliseconds at 20,000):
  // doing one per upgrade made a ramp to 20,000 take 50 s and clients
  // retrying against a full notifier cost it a fifth of a core. So sweep only
  // at the limit, and there at most every 50 ms.
  Clock::time_point last_sweep{};
  bool AtLimit() {
    if (sessions.size() < max_websockets) return false;
    if (Clock::now() - last_sweep >= std::chrono::milliseconds(50)) SweepSessions();
    return sessions.size() >= max_websockets;
  }

  // The sessions' deadlines (pings, close timeouts) on this one timer.
  void TickSessions() {
    const auto now = Clock::now();
    for (const auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) session->Tick(now);
    }
  }

  void Upgrade(const http::ExchangePtr& exchange) {
    const auto& header = exchange->request().header();
    auto field = [&](restinio::http_field_t name) -> std::optional<std::string_view> {
      if (!header.has_field(name)) return std::nullopt;
      return std::string_view(header.get_field(name));
    };
    const std::string method(header.method().c_str());
    // RESTinio parses Connection itself and keeps only its meaning.
    const bool connection_upgrade = header.connection() == restinio::http_connection_header_t::upgrade;
    const HandshakeRequest request{method,
                                   field(restinio::http_field::upgrade),
                                   connection_upgrade ? std::optional<std::string_view>("upgrade") : std::nullopt,
                                   field(restinio::http_field::sec_websocket_version),
                                   field(restinio::http_field::sec_websocket_key),
                                   field(restinio::http_field::origin)};
    // The router's edge policy has already refused foreign origins (403).
    const HandshakeCheck check = CheckHandshake(request, {});
    std::optional<platform::Principal> principal;
    std::string token;
    if (check.status == 101) {
      // Browsers cannot set headers on a WebSocket, so ?access_token= is
      // accepted too. The token is never logged.
      const auto access = exchange->Authorize(
          *authenticator,
          {platform::Role::kCustomer, platform::Role::kCourier, platform::Role::kStaff, platform::Role::kService},
          http::Exchange::QueryToken::kAccepted);
      if (!access) return;
      principal = access->principal;
      if (principal) token = BearerTokenOf(*exchange);
    }
    if (check.status != 101) {
      http::HeaderList headers;
      if (check.status == 426) headers.emplace_back("Sec-WebSocket-Version", "13");
      exchange->RespondProblem({check.status, std::string(http::ReasonPhrase(check.status)), check.detail, {}, {}},
                               headers);
      return;
    }
    // Every session holds a descriptor until its socket is closed (closing
    // ones too): past the limit, refuse before the upgrade.
    if (AtLimit()) {
      refused.Inc();
      exchange->RespondProblem(
          {503, "Service Unavailable", "The notifier is at its connection limit; retry shortly.", {}, {}},
          {{"Retry-After", "5"}});
      return;
    }
    auto taken = http::HttpServer::TakeConnection(*exchange);
    if (!taken) return;
    const SessionId id = next_session++;
    auto session = std::make_shared<WsSession>(
        id, std::move(taken->socket), std::move(taken->keep_alive), hub, *batcher, SessionOptions{},
        SessionCounters{[this] { slow_closed.Inc(); }, [this](std::uint16_t code) { ProtocolClosed(code); }},
        std::move(principal), std::move(token));
    sessions[id] = session;
    session->Start(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
        check.accept + "\r\n\r\n");
  }

  // The token the upgrade was authorised with (the header wins over the
  // query, as in the check), forwarded with the session's commands.
  static std::string BearerTokenOf(const http::Exchange& exchange) {
    const auto& header = exchange.request().header();
    if (header.has_field(restinio::http_field::authorization)) {
      const std::string authorization = header.get_field(restinio::http_field::authorization);
      const auto token = platform::BearerToken(authorization);
      return token ? std::string(*token) : std::string();
    }
    const auto query = exchange.Query();
    if (query && query->count("access_token")) return query->at("access_token");
    return {};
  }

  void ProtocolClosed(std::uint16_t code) {
    auto it = protocol_closes.find(code);
    if (it == protocol_closes.end()) {
      it = protocol_closes
               .emplace(code, &registry.AddCounter("orders_notifier_protocol_closes_total",
                                                   "WebSockets closed for bad frames, by close code",
                                                   {{"code", std::to_string(code)}}))
               .first;
    }
    it->second->Inc();
  }
};

NotifierService::NotifierService(platform::ServiceConfig config) : config_(std::move(config)) {}

NotifierService::~NotifierService() { Stop(); }

platform::Result<std::uint16_t> NotifierService::Start() {
  // Read here, like the command service's payment settings, so a bad value stops the start.
  const auto page_settings = LoadPageSettings(platform::ProcessEnvironment());
  if (!page_settings.settings) {
    std::string problems;
    for (const auto& problem : page_settings.problems) problems += (problems.empty() ? "" : "; ") + problem;
    return platform::Error{"invalid page settings: " + problems};
  }
  const auto sse_settings = LoadSseSettings(platform::ProcessEnvironment());
  if (!sse_settings.settings) {
    std::string problems;
    for (const auto& problem : sse_settings.problems) problems += (problems.empty() ? "" : "; ") + problem;
    return platform::Error{"invalid event stream settings: " + problems};
  }
  const auto webhook_settings = webhooks::LoadWebhookConfig(platform::ProcessEnvironment());
  if (!webhook_settings.config) {
    std::string problems;
    for (const auto& problem : webhook_settings.problems) problems += (problems.empty() ? "" : "; ") + problem;
    return platform::Error{"invalid webhook settings: " + problems};
  }
  const auto webhook_store = webhooks::LoadWebhookStoreSettings(platform::ProcessEnvironment());
  if (!webhook_store.settings) {
    std::string problems;
    for (const auto& problem : webhook_store.problems) problems += (problems.empty() ? "" : "; ") + problem;
    return platform::Error{"invalid webhook settings: " + problems};
  }
  const auto cache_settings = LoadCacheSettings(platform::ProcessEnvironment());
  if (!cache_settings.settings) {
    std::string problems;
    for (const auto& problem : cache_settings.problems) problems += (problems.empty() ? "" : "; ") + problem;
    return platform::Error{"invalid order cache settings: " + problems};
  }
  auto authenticator = platform::Authenticator::Start(config_.auth);
  if (!authenticator) return authenticator.error();
  parts_ = std::make_unique<Parts>(config_, *cache_settings.settings);
  Parts& parts = *parts_;
  parts.cache_budget.Set(static_cast<double>(cache_settings.settings->max_bytes));
  platform::LogInfo("order cache", {{"max_bytes", cache_settings.settings->max_bytes},
                                    {"read_model_lookup", cache_settings.settings->read_model_lookup},
                                    {"read_model_schema", config_.read_model_schema}});
  parts.authenticator = std::move(*authenticator);
  parts.webhook_config = *webhook_settings.config;
  const FdLimits fds = RaiseFdLimit();
  // The inventory feed, and with webhooks two dispatch consumers, five database connections (stores and the
  // ledger writer) and the receivers' connections: one per delivery worker plus the idle pool (64 at most).
  const std::uint64_t webhook_fds =
      2 * kFdsPerKafkaClient + 5 + static_cast<std::uint64_t>(parts.webhook_config.workers) + 64;
  const std::uint64_t internal_fds =
      kBaseFdReserve + kFdsPerKafkaClient + (parts.webhook_config.enabled ? webhook_fds : 0);
  const ConnectionBudget budget = BudgetConnections(fds.soft, OpenFdCount(), config_.max_connections, internal_fds);
  parts.max_websockets = budget.websockets;
  platform::LogInfo("connection limits", {{"fd_soft_limit_at_start", fds.soft_before},
                                          {"fd_soft_limit", fds.soft},
                                          {"fd_hard_limit", fds.hard},
                                          {"max_websockets", budget.websockets},
                                          {"max_http_connections", budget.http}});
  if (budget.clamped) {
    platform::LogWarn("MAX_CONNECTIONS does not fit the descriptor limit; using what fits",
                      {{"configured", config_.max_connections}, {"max_websockets", budget.websockets}});
  }
  parts.page = PageWithSettings(PageWithApiOrigins(WebPage(), config_.page_api_origins), *page_settings.settings);
  http::EdgePolicy edge;
  edge.origins = platform::OriginRulesOf(config_);
  edge.origins.allow_own_loopback_origin = true;  // the page this service serves
  // Authorize (the WebSocket upgrade) applies the connection-attempt limits.
  edge.limiter = std::make_shared<platform::CallerLimiter>(
      "ws", config_.rate_limits.enabled, config_.rate_limits.connections, config_.rate_limits.max_keys, parts.registry);
  auto router = std::make_shared<http::Router>(parts.registry, std::move(edge));
  router->Add(restinio::http_method_get(), "/", [&parts, this](const http::ExchangePtr& exchange) {
    const auto& header = exchange->request().header();
    const std::string host =
        header.has_field(restinio::http_field::host) ? header.get_field(restinio::http_field::host) : std::string();
    exchange->RespondText(200, "text/html; charset=utf-8", parts.page, PageHeaders(host, config_.page_api_origins));
  });
  router->Add(restinio::http_method_get(), "/app.js", [](const http::ExchangePtr& exchange) {
    exchange->RespondText(200, "text/javascript; charset=utf-8", std::string(WebScript()), AssetHeaders());
  });
  router->Add(restinio::http_method_get(), "/app.css", [](const http::ExchangePtr& exchange) {
    exchange->RespondText(200, "text/css; charset=utf-8", std::string(WebStyle()), AssetHeaders());
  });
  // Upgrades run on the io thread, which is also the hub's thread.
  router->Add(restinio::http_method_get(), "/ws",
              [&parts](const http::ExchangePtr& exchange) { parts.Upgrade(exchange); });
  router->Add(restinio::http_method_get(), "/events",
              [&parts](const http::ExchangePtr& exchange) { parts.events->Serve(exchange); });
  http::AddOperationalRoutes(*router, parts.registry, [&parts]() -> http::Readiness {
    if (parts.feed && parts.feed->CaughtUp()) return {true, {}};
    return {false, "The notifier is still reading the order log."};
  });
  if (parts.webhook_config.enabled) {
    // Webhook registrations live in PostgreSQL; the tables are migrated now, or on first use
    // when the database is down (the API answers 503 meanwhile).
    const webhooks::PgStoreOptions store{config_.database_url, webhook_store.settings->schema,
                                         parts.webhook_config.max_endpoints};
    try {
      webhooks::MigrateWebhookSchema(store);
    } catch (const std::exception& error) {
      platform::LogWarn("webhook tables not migrated yet; retried on use", {{"error", error.what()}});
    }
    parts.webhook_registry = webhooks::MakePgEndpointRegistry(store);
    parts.webhook_ledger = webhooks::MakePgDeliveryLedger(store);
    webhooks::WebhookAdminLimits limits;
    limits.max_endpoints = store.max_endpoints;
    const webhooks::TargetPolicy policy{parts.webhook_config.allow_private_targets};
    parts.webhook_api = std::make_unique<webhooks::WebhookApi>(
        parts.authenticator, std::make_unique<webhooks::WebhookAdmin>(webhooks::WebhookAdminDeps{
                                 *parts.webhook_registry, *parts.webhook_ledger,
                                 [policy](std::string_view url) { return webhooks::CheckWebhookUrl(url, policy); },
                                 [] { return webhooks::NewWebhookSecret(); }, limits}));
    parts.webhook_api->AddRoutes(*router);
    parts.dispatch_registry = webhooks::MakePgEndpointRegistry(store);
    parts.dispatch_ledger = webhooks::MakePgDeliveryLedger(store);
    try {
      parts.webhook_sender = std::make_unique<webhooks::HttpWebhookSender>(
          webhooks::SenderSettings{parts.webhook_config.timeout, parts.webhook_config.max_response_bytes,
                                   parts.webhook_config.allow_private_targets, parts.webhook_config.ca_file});
    } catch (const std::exception& error) {
      return platform::Error{std::string("webhook delivery cannot be set up: ") + error.what()};
    }
  }

  http::HttpServerOptions options;
  options.bind_address = config_.bind_address;
  options.port = config_.port;
  options.threads = 1;  // the hub and every session live on this one thread
  options.max_connections = budget.http;
  // Webhook registrations (POST /webhooks, /replay) may carry up to 16 KiB; larger bodies get 413.
  options.limits.body = 16 * 1024;
  parts.server = std::make_unique<http::HttpServer>(options, router);
  parts.batcher = std::make_unique<SendBatcher>(parts.server->io_context());
  SseSessionOptions sse_options;
  sse_options.heartbeat = sse_settings.settings->heartbeat;
  sse_options.retry = sse_settings.settings->retry;
  parts.events = std::make_unique<EventsEndpoint>(
      parts.server->io_context(), parts.hub, *parts.batcher, parts.authenticator, sse_options,
      ConnectionSlots{[&parts]() -> std::optional<SessionId> {
                        if (parts.AtLimit()) {
                          parts.refused.Inc();
                          return std::nullopt;
                        }
                        return parts.next_session++;
                      },
                      [&parts](SessionId id, std::weak_ptr<Sink> session) { parts.sessions[id] = std::move(session); }},
      [&parts] { parts.slow_closed.Inc(); });
  const auto command_api = ParseHttpUrl(config_.command_api_url);
  if (!command_api) {
    return platform::Error{"COMMAND_API_URL is not a usable http:// URL"};
  }
  parts.command_runner.client = std::make_unique<CommandApiClient>(parts.server->io_context(), *command_api);
  if (cache_settings.settings->read_model_lookup) {
    // Orders the cache dropped are asked of the read model on a thread of their own; the answers
    // come back to the hub's (the io) thread.
    parts.order_lookup.source =
        MakeReadModelSource(config_.database_url, config_.read_model_schema, cache_settings.settings->lookup_timeout);
    parts.order_lookup.worker = std::make_unique<OrderLookupWorker>(
        *parts.order_lookup.source,
        [&io = parts.server->io_context()](std::function<void()> answer) { asio::post(io, std::move(answer)); });
  }

  parts.feed = std::make_unique<LogFeed>(platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties,
                                                                       "notifier", "", platform::kPromptBatchedFetch),
                                         config_.orders_topic, parts.server->io_context(), parts.hub, parts.registry);
  parts.inventory_feed = std::make_unique<InventoryFeed>(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties, "notifier-inventory", "",
                                    platform::kPromptBatchedFetch),
      config_.inventory_topic, parts.server->io_context(), parts.hub, parts.registry);
  parts.ticker = std::make_unique<asio::steady_timer>(parts.server->io_context());
  parts.Tick();

  auto port = parts.server->Start();
  if (!port) return port;
  parts.feed->Start();
  parts.inventory_feed->Start();
  if (parts.webhook_config.enabled) {
    auto dispatching =
        parts.StartWebhookDispatch(*parts.dispatch_registry, *parts.dispatch_ledger, *parts.webhook_sender);
    if (!dispatching) return dispatching.error();
  }
  return port;
}

void NotifierService::Stop() {
  if (!parts_ || parts_->stopping.exchange(true)) return;
  Parts& parts = *parts_;
  platform::LogInfo("stopping: closing WebSockets with 1001");
  std::promise<void> closed;
  auto done = closed.get_future();
  asio::post(parts.server->io_context(), [&parts, &closed] {
    for (auto& [id, weak] : parts.sessions) {
      if (auto session = weak.lock()) session->Close(close_code::kGoingAway, "server shutting down");
    }
    parts.ticker->cancel();
    closed.set_value();
  });
  done.wait_for(std::chrono::seconds(2));
  if (parts.order_lookup.worker) parts.order_lookup.worker->Stop();
  if (parts.webhooks) parts.webhooks->Stop(std::chrono::seconds(config_.shutdown_grace_seconds));
  parts.feed->Stop();
  parts.inventory_feed->Stop();
  parts.server->Stop(std::chrono::milliseconds(300));
}

}  // namespace orders::notifier

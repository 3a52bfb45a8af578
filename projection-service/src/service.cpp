#include <orders/projection/service.hpp>

#include <charconv>
#include <cstdlib>

#include <orders/platform/log.hpp>
#include <orders/platform/restinio/http_server.hpp>
#include <orders/platform/restinio/operational_routes.hpp>
#include <orders/projection/projector.hpp>
#include <orders/projection/query_api.hpp>

#include "pg/migrations.hpp"
#include "pg/pg_connection.hpp"
#include "pg/pg_read_model_store.hpp"
#include "pg/read_model_queries.hpp"

namespace orders::projection {

struct ProjectionService::Parts {
  explicit Parts(const platform::ServiceConfig& config)
      : connection_string(ReadModelConnectionString(config.database_url, config.read_model_schema)),
        metrics(registry),
        queries(connection_string),
        inventory_store(connection_string),
        inventory_projector(config, {&inventory_store}, waiters, metrics, BatchPolicy{}, Stream::kInventory) {
    for (int i = 0; i < kOrderWriters; ++i) stores.push_back(std::make_unique<PgReadModelStore>(connection_string));
    std::vector<ReadModelStore*> lanes;
    for (auto& store : stores) lanes.push_back(store.get());
    projector = std::make_unique<Projector>(config, std::move(lanes), waiters, metrics);
  }

  // The orders stream's writers (projector.hpp, lanes): two, so that a replay or a backlog keeps two
  // PostgreSQL backends busy (one backend is what limits a single writer) while the consumer thread decodes.
  static constexpr int kOrderWriters = 2;

  std::string connection_string;
  platform::MetricsRegistry registry;
  ProjectionMetrics metrics;
  VersionWaiters waiters;
  ReadModelQueries queries;
  std::vector<std::unique_ptr<PgReadModelStore>> stores;  // the orders consumer's, one per writer
  PgReadModelStore inventory_store;                       // the inventory consumer's (a store serves one caller)
  Projector inventory_projector;                          // INVENTORY_TOPIC
  std::unique_ptr<Projector> projector;                   // ORDERS_TOPIC
  std::unique_ptr<platform::http::HttpServer> server;
};

ProjectionService::ProjectionService(platform::ServiceConfig config) : config_(std::move(config)) {}

ProjectionService::~ProjectionService() { Stop(); }

namespace {

// Retries until the database answers: a service started before PostgreSQL
// waits for it instead of crash-looping.
bool MigrateWithRetry(const std::string& connection_string, const std::string& schema) {
  auto backoff = std::chrono::milliseconds(200);
  for (int attempt = 1; attempt <= 60; ++attempt) {
    try {
      pqxx::connection connection(connection_string);
      Migrate(connection, schema);
      return true;
    } catch (const std::exception& e) {
      platform::LogWarn("migrations not applied yet; retrying", {{"attempt", attempt}, {"error", e.what()}});
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  return false;
}

// HTTP_WRITE_TIMEOUT_MS (environment only): how long one write to a client may stall before the
// connection is closed. It is what cuts off a CSV export whose client stopped reading.
platform::Result<std::chrono::milliseconds> WriteTimeout() {
  const char* text = std::getenv("HTTP_WRITE_TIMEOUT_MS");
  if (!text || !*text) return std::chrono::milliseconds(10'000);
  std::int64_t millis = 0;
  const std::string_view view(text);
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), millis);
  if (error != std::errc() || end != view.data() + view.size() || millis < 100 || millis > 600'000) {
    return platform::Fail("HTTP_WRITE_TIMEOUT_MS must be an integer from 100 to 600000");
  }
  return std::chrono::milliseconds(millis);
}

}  // namespace

platform::Result<std::uint16_t> ProjectionService::Start() {
  const auto write_timeout = WriteTimeout();
  if (!write_timeout) return write_timeout.error();
  auto authenticator = platform::Authenticator::Start(config_.auth);
  if (!authenticator) return authenticator.error();
  parts_ = std::make_unique<Parts>(config_);
  if (!MigrateWithRetry(parts_->connection_string, config_.read_model_schema)) {
    return platform::Fail("cannot apply read-model migrations; giving up");
  }
  if (auto started = parts_->projector->Start(); !started) {
    return platform::Fail("cannot start the kafka consumer: " + started.error().message);
  }
  if (auto started = parts_->inventory_projector.Start(); !started) {
    return platform::Fail("cannot start the inventory kafka consumer: " + started.error().message);
  }

  platform::http::EdgePolicy edge;
  edge.origins = platform::OriginRulesOf(config_);
  edge.limiter =
      std::make_shared<platform::CallerLimiter>("query", config_.rate_limits.enabled, config_.rate_limits.requests,
                                                config_.rate_limits.max_keys, parts_->registry);
  auto router = std::make_shared<platform::http::Router>(parts_->registry, std::move(edge));
  platform::http::HttpServerOptions options;
  options.bind_address = config_.bind_address;
  options.port = config_.port;
  if (config_.max_connections > 0) options.max_connections = config_.max_connections;
  options.threads = 4;  // handlers do short blocking queries
  options.write_timeout = *write_timeout;
  parts_->server = std::make_unique<platform::http::HttpServer>(options, router);
  Parts& parts = *parts_;
  platform::http::AddOperationalRoutes(*router, parts.registry, [&parts]() -> platform::http::Readiness {
    // The orders stream decides readiness; the inventory consumer only needs its store (a missing
    // inventory topic leaves the inventory list empty, it does not stop the read model of orders).
    if (!parts.projector->Healthy() || !parts.inventory_projector.StoreHealthy()) {
      return {false, "The consumer is not running or the read model is unreachable."};
    }
    if (!parts.queries.Ping()) return {false, "The read model is unreachable."};
    return {true, {}};
  });
  AddQueryRoutes(*router, QueryApiDeps{.queries = parts.queries,
                                       .waiters = parts.waiters,
                                       .io_context = parts.server->io_context(),
                                       .authenticator = std::move(*authenticator),
                                       .metrics = &parts.metrics});
  return parts_->server->Start();
}

void ProjectionService::Stop() {
  if (!parts_) return;
  parts_->waiters.ReleaseAll();
  if (parts_->server) parts_->server->Stop();
  parts_->projector->Stop();
  parts_->inventory_projector.Stop();
  parts_.reset();
}

}  // namespace orders::projection

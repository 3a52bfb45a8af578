#pragma once
// The routes every service has: GET /healthz (alive: 200 {"status":"ok"}),
// GET /readyz (200 when `ready` says so, else a 503 problem) and GET /metrics
// (the registry in Prometheus text format). Open: no token needed.

#include <functional>

#include <orders/platform/metrics.hpp>
#include <orders/platform/pistache/router.hpp>
#include <orders/platform/readiness.hpp>

namespace orders::platform::pistache_http {

using platform::Readiness;

void AddOperationalRoutes(Router& router, const MetricsRegistry& registry, std::function<Readiness()> ready);

}  // namespace orders::platform::pistache_http

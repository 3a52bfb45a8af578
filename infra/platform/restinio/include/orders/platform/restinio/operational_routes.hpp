#pragma once
// The routes every service has: GET /healthz (alive: 200 {"status":"ok"}),
// GET /readyz (200 when `ready` returns true, else 503 problem) and
// GET /metrics (the registry in Prometheus text format).
//
// `ready` runs on a server thread; it may do quick I/O (e.g. SELECT 1).

#include <functional>

#include <orders/platform/metrics.hpp>
#include <orders/platform/readiness.hpp>
#include <orders/platform/restinio/router.hpp>

namespace orders::platform::http {

using platform::Readiness;

void AddOperationalRoutes(Router& router, const MetricsRegistry& registry, std::function<Readiness()> ready);

}  // namespace orders::platform::http

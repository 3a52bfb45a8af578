#pragma once
// The PostgreSQL EndpointRegistry and DeliveryLedger: the notifier's own
// tables (notifier/sql/, embedded at build time) in its own schema. The
// schema is created and migrated on first connection, under an advisory
// lock, so concurrent notifiers never race and a notifier that started while
// PostgreSQL was down migrates once it is back.
//
// Each adapter owns one connection (libpqxx connections are not shared
// between threads), opened on first use; calls on one adapter are
// serialised. A failed call throws (pqxx errors) and drops a broken
// connection, so the next call reconnects: callers map a throw to "database
// unavailable" (503), never to a crash.
//
// The cap on registrations is enforced in Create's transaction under an
// advisory lock: concurrent creates on any number of notifiers cannot pass it.

#include <memory>
#include <string>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

struct PgStoreOptions {
  std::string database_url;         // any libpq URL
  std::string schema = "notifier";  // [a-z_][a-z0-9_]*, validated by the settings
  std::size_t max_endpoints = 1000;
};

std::unique_ptr<EndpointRegistry> MakePgEndpointRegistry(const PgStoreOptions& options);
std::unique_ptr<DeliveryLedger> MakePgDeliveryLedger(const PgStoreOptions& options);

// Creates or migrates the schema now; throws when PostgreSQL cannot be reached.
void MigrateWebhookSchema(const PgStoreOptions& options);

}  // namespace orders::notifier::webhooks

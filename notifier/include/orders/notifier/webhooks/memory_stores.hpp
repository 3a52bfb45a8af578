#pragma once
// In-memory EndpointRegistry and DeliveryLedger for tests: the same behaviour
// as the PostgreSQL adapters (pg_webhook_store.hpp), held to it by the shared
// behaviour tests (tests/unit/notifier/webhook_store_cases.hpp). Times are
// kept at microsecond precision, as PostgreSQL keeps them.
//
// The two share one state, as the two PostgreSQL adapters share one
// database: deleting an endpoint forgets its deliveries, and a delivery kept
// for an unknown endpoint is dropped. Thread-safe (one mutex).

#include <functional>
#include <memory>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

class MemoryWebhookStore {
 public:
  // `clock` stands for the database's now() (Replay's "due now", updated_at).
  explicit MemoryWebhookStore(
      std::size_t max_endpoints, std::function<WallClock::time_point()> clock = [] { return WallClock::now(); });
  ~MemoryWebhookStore();

  EndpointRegistry& registry();
  DeliveryLedger& ledger();

 private:
  struct State;
  class Registry;
  class Ledger;
  std::shared_ptr<State> state_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Ledger> ledger_;
};

}  // namespace orders::notifier::webhooks

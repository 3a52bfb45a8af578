// The shared store behaviour (webhook_store_cases.hpp) on the in-memory fakes.
#include <orders/notifier/webhooks/memory_stores.hpp>

#include "webhook_store_cases.hpp"

namespace orders::notifier::webhooks {
namespace {

struct MemoryStores {
  static void Require() {}
  explicit MemoryStores(std::size_t max_endpoints) : store(max_endpoints) {}
  EndpointRegistry& registry() { return store.registry(); }
  DeliveryLedger& ledger() { return store.ledger(); }
  MemoryWebhookStore store;
};

using Kinds = ::testing::Types<MemoryStores>;
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, WebhookStoreBehaviour, Kinds);

}  // namespace
}  // namespace orders::notifier::webhooks

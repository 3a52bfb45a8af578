#include <orders/notifier/webhooks/memory_stores.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include <orders/notifier/webhooks/delivery_cursor.hpp>
#include <orders/platform/uuid.hpp>

namespace orders::notifier::webhooks {

struct MemoryWebhookStore::State {
  std::size_t max_endpoints;
  std::function<WallClock::time_point()> clock;
  std::mutex mutex;
  std::map<std::string, Endpoint> endpoints;
  std::map<std::pair<std::string, std::string>, Delivery> deliveries;  // by (endpoint_id, event_id)
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
  std::map<std::tuple<std::string, std::string, std::int32_t>, Park> parks;  // by (endpoint_id, topic, partition)
  std::uint64_t last_ownership = 0;                                          // the park_ownerships sequence

  WallClock::time_point Now() const { return StoredTime(clock()); }
};

namespace {

// The listing order: newest event first, then event id descending (the
// PostgreSQL index's order).
bool ListedBefore(const Delivery& a, const Delivery& b) {
  if (a.event_time != b.event_time) return a.event_time > b.event_time;
  return a.event_id > b.event_id;
}

bool After(const Delivery& delivery, const DeliveryCursor& cursor) {
  const auto at = MicrosSinceEpoch(delivery.event_time);
  return at < cursor.event_time_us || (at == cursor.event_time_us && delivery.event_id < cursor.event_id);
}

}  // namespace

class MemoryWebhookStore::Registry : public EndpointRegistry {
 public:
  explicit Registry(std::shared_ptr<State> state) : state_(std::move(state)) {}

  std::optional<Endpoint> Create(Endpoint endpoint) override {
    std::lock_guard lock(state_->mutex);
    if (state_->endpoints.size() >= state_->max_endpoints) return std::nullopt;
    endpoint.id = "ep_" + platform::NewUuid();
    endpoint.created_at = state_->Now();
    endpoint.failing_since.reset();
    endpoint.disabled = false;
    endpoint.disabled_reason.clear();
    state_->endpoints[endpoint.id] = endpoint;
    return endpoint;
  }

  std::vector<Endpoint> List() override {
    std::lock_guard lock(state_->mutex);
    std::vector<Endpoint> all;
    for (const auto& [id, endpoint] : state_->endpoints) all.push_back(endpoint);
    std::stable_sort(all.begin(), all.end(), [](const Endpoint& a, const Endpoint& b) {
      return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
    return all;
  }

  std::optional<Endpoint> Get(const std::string& id) override {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->endpoints.find(id);
    if (it == state_->endpoints.end()) return std::nullopt;
    return it->second;
  }

  bool Delete(const std::string& id) override {
    std::lock_guard lock(state_->mutex);
    if (state_->endpoints.erase(id) == 0) return false;
    std::erase_if(state_->deliveries, [&](const auto& entry) { return entry.first.first == id; });
    std::erase_if(state_->parks, [&](const auto& entry) { return std::get<0>(entry.first) == id; });
    return true;
  }

  void RecordHealth(const std::string& id, bool succeeded, WallClock::time_point at) override {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->endpoints.find(id);
    if (it == state_->endpoints.end()) return;
    if (succeeded) {
      it->second.failing_since.reset();
    } else if (!it->second.failing_since) {
      it->second.failing_since = StoredTime(at);
    }
  }

  void Disable(const std::string& id, const std::string& reason) override {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->endpoints.find(id);
    if (it == state_->endpoints.end()) return;
    it->second.disabled = true;
    it->second.disabled_reason = reason;
  }

 private:
  std::shared_ptr<State> state_;
};

class MemoryWebhookStore::Ledger : public DeliveryLedger {
 public:
  explicit Ledger(std::shared_ptr<State> state) : state_(std::move(state)) {}

  std::optional<std::int64_t> ResumeOffset(const std::string& topic, std::int32_t partition) override {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->offsets.find({topic, partition});
    if (it == state_->offsets.end()) return std::nullopt;
    return it->second;
  }

  void SaveResumeOffset(const std::string& topic, std::int32_t partition, std::int64_t offset) override {
    std::lock_guard lock(state_->mutex);
    state_->offsets[{topic, partition}] = offset;
  }

  void Keep(const Delivery& delivery) override {
    std::lock_guard lock(state_->mutex);
    if (!state_->endpoints.count(delivery.endpoint_id)) return;  // deleted meanwhile
    const auto key = std::make_pair(delivery.endpoint_id, delivery.event_id);
    auto it = state_->deliveries.find(key);
    if (it == state_->deliveries.end()) {
      Delivery stored = delivery;
      stored.event_time = StoredTime(stored.event_time);
      it = state_->deliveries.emplace(key, std::move(stored)).first;
    }
    // What an attempt changes; the event itself stays as first kept.
    Delivery& stored = it->second;
    stored.status = delivery.status;
    stored.attempts = delivery.attempts;
    stored.next_attempt_at = StoredTime(delivery.next_attempt_at);
    stored.last_http_status = delivery.last_http_status;
    stored.last_error = delivery.last_error;
    stored.updated_at = state_->Now();
  }

  std::vector<Delivery> Due(const std::string& topic, const std::vector<std::int32_t>& partitions,
                            WallClock::time_point now, std::size_t limit) override {
    std::lock_guard lock(state_->mutex);
    const std::set<std::int32_t> wanted(partitions.begin(), partitions.end());
    std::vector<Delivery> due;
    for (const auto& [key, delivery] : state_->deliveries) {
      if (delivery.status == DeliveryStatus::kPending && delivery.topic == topic && wanted.count(delivery.partition) &&
          delivery.next_attempt_at <= now) {
        due.push_back(delivery);
      }
    }
    std::sort(due.begin(), due.end(), [](const Delivery& a, const Delivery& b) {
      return std::tie(a.offset, a.partition, a.endpoint_id) < std::tie(b.offset, b.partition, b.endpoint_id);
    });
    if (due.size() > limit) due.resize(limit);
    return due;
  }

  std::vector<std::pair<std::string, std::string>> PendingSubjects(
      const std::string& topic, const std::vector<std::int32_t>& partitions) override {
    std::lock_guard lock(state_->mutex);
    const std::set<std::int32_t> wanted(partitions.begin(), partitions.end());
    std::set<std::pair<std::string, std::string>> subjects;
    for (const auto& [key, delivery] : state_->deliveries) {
      if (delivery.status == DeliveryStatus::kPending && delivery.topic == topic && wanted.count(delivery.partition)) {
        subjects.emplace(delivery.endpoint_id, delivery.subject);
      }
    }
    return {subjects.begin(), subjects.end()};
  }

  Page List(const std::string& endpoint_id, std::optional<DeliveryStatus> status,
            const std::optional<std::string>& cursor, std::size_t limit) override {
    std::optional<DeliveryCursor> position;
    if (cursor) {
      position = DecodeDeliveryCursor(*cursor);
      if (!position) return {};
    }
    std::lock_guard lock(state_->mutex);
    std::vector<Delivery> listed;
    for (const auto& [key, delivery] : state_->deliveries) {
      if (delivery.endpoint_id != endpoint_id) continue;
      if (status && delivery.status != *status) continue;
      if (position && !After(delivery, *position)) continue;
      listed.push_back(delivery);
    }
    std::sort(listed.begin(), listed.end(), ListedBefore);
    Page page;
    if (listed.size() > limit) {
      listed.resize(limit);
      if (limit > 0) {
        page.next_cursor = EncodeDeliveryCursor({MicrosSinceEpoch(listed.back().event_time), listed.back().event_id});
      }
    }
    page.items = std::move(listed);
    return page;
  }

  std::size_t Replay(const std::string& endpoint_id, WallClock::time_point from) override {
    std::lock_guard lock(state_->mutex);
    const auto now = state_->Now();
    std::size_t replayed = 0;
    for (auto& [key, delivery] : state_->deliveries) {
      if (key.first != endpoint_id || delivery.status != DeliveryStatus::kFailed || delivery.event_time < from)
        continue;
      delivery.status = DeliveryStatus::kPending;
      delivery.attempts = 0;
      delivery.next_attempt_at = now;
      delivery.updated_at = now;
      ++replayed;
    }
    return replayed;
  }

  ParkClaim ClaimParks(const std::string& topic, const std::vector<std::int32_t>& partitions) override {
    std::lock_guard lock(state_->mutex);
    const std::set<std::int32_t> wanted(partitions.begin(), partitions.end());
    ParkClaim claim;
    claim.ownership = ++state_->last_ownership;
    for (auto& [key, park] : state_->parks) {
      if (park.topic != topic || !wanted.count(park.partition)) continue;
      park.ownership = claim.ownership;
      claim.parks.push_back(park);
    }
    return claim;
  }

  void SavePark(const Park& park) override {
    std::lock_guard lock(state_->mutex);
    if (!state_->endpoints.count(park.endpoint_id)) return;  // deleted meanwhile
    const auto key = std::make_tuple(park.endpoint_id, park.topic, park.partition);
    if (auto stored = state_->parks.find(key);
        stored != state_->parks.end() && stored->second.ownership > park.ownership)
      return;  // a later owner's
    Park stored = park;
    stored.next_attempt_at = StoredTime(park.next_attempt_at);
    state_->parks[key] = stored;
  }

  bool DropPark(const std::string& endpoint_id, const std::string& topic, std::int32_t partition,
                std::uint64_t ownership) override {
    std::lock_guard lock(state_->mutex);
    auto it = state_->parks.find({endpoint_id, topic, partition});
    if (it == state_->parks.end() || it->second.ownership != ownership) return false;
    state_->parks.erase(it);
    return true;
  }

 private:
  std::shared_ptr<State> state_;
};

MemoryWebhookStore::MemoryWebhookStore(std::size_t max_endpoints, std::function<WallClock::time_point()> clock)
    : state_(std::make_shared<State>()),
      registry_(std::make_unique<Registry>(state_)),
      ledger_(std::make_unique<Ledger>(state_)) {
  state_->max_endpoints = max_endpoints;
  state_->clock = std::move(clock);
}

MemoryWebhookStore::~MemoryWebhookStore() = default;

EndpointRegistry& MemoryWebhookStore::registry() { return *registry_; }
DeliveryLedger& MemoryWebhookStore::ledger() { return *ledger_; }

}  // namespace orders::notifier::webhooks

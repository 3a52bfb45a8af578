#pragma once
// Small in-memory registry and ledger for the dispatcher's tests: only what
// the dispatcher relies on (the product's fakes live with the stores).

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks::testing {

class TestRegistry : public EndpointRegistry {
 public:
  std::optional<Endpoint> Create(Endpoint endpoint) override {
    if (endpoint.id.empty()) endpoint.id = "ep_" + std::to_string(++created_);
    endpoints_[endpoint.id] = endpoint;
    return endpoint;
  }
  Endpoint& Add(std::string id, std::vector<std::string> events) {
    Endpoint endpoint;
    endpoint.id = std::move(id);
    endpoint.url = "http://receiver.test/" + endpoint.id;
    endpoint.events = std::move(events);
    endpoint.secret = "whsec_c2VjcmV0";
    return endpoints_[endpoint.id] = endpoint;
  }
  std::vector<Endpoint> List() override {
    std::vector<Endpoint> all;
    for (const auto& [id, endpoint] : endpoints_) all.push_back(endpoint);
    return all;
  }
  std::optional<Endpoint> Get(const std::string& id) override {
    auto it = endpoints_.find(id);
    return it == endpoints_.end() ? std::nullopt : std::optional<Endpoint>(it->second);
  }
  bool Delete(const std::string& id) override { return endpoints_.erase(id) > 0; }
  void RecordHealth(const std::string& id, bool succeeded, WallClock::time_point at) override {
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return;
    if (succeeded) {
      it->second.failing_since.reset();
    } else if (!it->second.failing_since) {
      it->second.failing_since = at;
    }
  }
  void Disable(const std::string& id, const std::string& reason) override {
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return;
    it->second.disabled = true;
    it->second.disabled_reason = reason;
  }

 private:
  std::map<std::string, Endpoint> endpoints_;
  int created_ = 0;
};

class TestLedger : public DeliveryLedger {
 public:
  std::optional<std::int64_t> ResumeOffset(const std::string& topic, std::int32_t partition) override {
    auto it = resume_.find({topic, partition});
    return it == resume_.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
  }
  void SaveResumeOffset(const std::string& topic, std::int32_t partition, std::int64_t offset) override {
    resume_[{topic, partition}] = offset;
    saves.emplace_back(partition, offset);
  }
  void Keep(const Delivery& delivery) override {
    deliveries_[{delivery.endpoint_id, delivery.event_id}] = delivery;
    ++keeps;
  }
  std::vector<Delivery> Due(const std::string& topic, const std::vector<std::int32_t>& partitions,
                            WallClock::time_point now, std::size_t limit) override {
    std::vector<Delivery> due;
    for (const auto& [key, delivery] : deliveries_) {
      if (delivery.topic == topic && delivery.status == DeliveryStatus::kPending && delivery.next_attempt_at <= now &&
          std::count(partitions.begin(), partitions.end(), delivery.partition)) {
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
    std::set<std::pair<std::string, std::string>> subjects;
    for (const auto& [key, delivery] : deliveries_) {
      if (delivery.topic == topic && delivery.status == DeliveryStatus::kPending &&
          std::count(partitions.begin(), partitions.end(), delivery.partition)) {
        subjects.insert({delivery.endpoint_id, delivery.subject});
      }
    }
    return {subjects.begin(), subjects.end()};
  }
  Page List(const std::string& endpoint_id, std::optional<DeliveryStatus> status, const std::optional<std::string>&,
            std::size_t limit) override {
    Page page;
    for (const auto& [key, delivery] : deliveries_) {
      if (delivery.endpoint_id == endpoint_id && (!status || delivery.status == *status) && page.items.size() < limit) {
        page.items.push_back(delivery);
      }
    }
    return page;
  }
  std::size_t Replay(const std::string& endpoint_id, WallClock::time_point from) override {
    std::size_t replayed = 0;
    for (auto& [key, delivery] : deliveries_) {
      if (delivery.endpoint_id == endpoint_id && delivery.status == DeliveryStatus::kFailed &&
          delivery.event_time >= from) {
        delivery.status = DeliveryStatus::kPending;
        delivery.attempts = 0;
        delivery.next_attempt_at = {};
        ++replayed;
      }
    }
    return replayed;
  }

  ParkClaim ClaimParks(const std::string& topic, const std::vector<std::int32_t>& partitions) override {
    ParkClaim claim{++last_ownership_, {}};
    for (auto& [key, park] : parks_) {
      if (park.topic != topic || !std::count(partitions.begin(), partitions.end(), park.partition)) continue;
      park.ownership = claim.ownership;
      claim.parks.push_back(park);
    }
    return claim;
  }
  void SavePark(const Park& park) override {
    if (fail_park_writes) throw std::runtime_error("connection refused");
    auto& stored = parks_[{park.endpoint_id, park.topic, park.partition}];
    if (stored.ownership <= park.ownership) stored = park;  // else a later owner's
    ++park_saves;
  }
  bool DropPark(const std::string& endpoint_id, const std::string& topic, std::int32_t partition,
                std::uint64_t ownership) override {
    if (fail_park_writes) throw std::runtime_error("connection refused");
    auto it = parks_.find({endpoint_id, topic, partition});
    if (it == parks_.end() || it->second.ownership != ownership) return false;
    parks_.erase(it);
    return true;
  }
  const Park* FindPark(const std::string& endpoint_id, const std::string& topic, std::int32_t partition) const {
    auto it = parks_.find({endpoint_id, topic, partition});
    return it == parks_.end() ? nullptr : &it->second;
  }
  std::size_t ParkCount() const { return parks_.size(); }

  const Delivery* Find(const std::string& endpoint_id, const std::string& event_id) const {
    auto it = deliveries_.find({endpoint_id, event_id});
    return it == deliveries_.end() ? nullptr : &it->second;
  }
  std::size_t Count(DeliveryStatus status) const {
    return static_cast<std::size_t>(std::count_if(deliveries_.begin(), deliveries_.end(),
                                                  [&](const auto& entry) { return entry.second.status == status; }));
  }

  std::vector<std::pair<std::int32_t, std::int64_t>> saves;
  int keeps = 0;
  int park_saves = 0;
  bool fail_park_writes = false;  // like PostgreSQL unreachable for park writes

 private:
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> resume_;
  std::map<std::pair<std::string, std::string>, Delivery> deliveries_;
  std::map<std::tuple<std::string, std::string, std::int32_t>, Park> parks_;
  std::uint64_t last_ownership_ = 0;
};

}  // namespace orders::notifier::webhooks::testing

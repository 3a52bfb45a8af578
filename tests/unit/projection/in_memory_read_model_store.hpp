#pragma once
// A ReadModelStore in memory, for unit tests of the applier: it keeps orders,
// products and offsets per partition, applies the fence and the fold as the PostgreSQL
// store does, and can be told to misbehave (fail, answer in doubt, meet rows
// that exist already) or to move under the consumer (a rebuild switched in).
// Thread-safe: the applier's thread applies while the test inspects.

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <orders/projection/read_model_store.hpp>

namespace orders::projection {

class InMemoryReadModelStore final : public ReadModelStore {
 public:
  // What the next Apply() calls run into, one per call, in order.
  enum class Trouble {
    kFail,                 // nothing written, kFailed
    kRowsExist,            // in kFast: nothing written, kRowsExist (kTolerant then writes)
    kInDoubtCommitted,     // written, but answered kInDoubt
    kInDoubtNotCommitted,  // nothing written, answered kInDoubt
  };

  void Expect(std::vector<Trouble> troubles) {
    std::lock_guard lock(mutex_);
    troubles_.insert(troubles_.end(), troubles.begin(), troubles.end());
  }
  void FailLoads(int count) {
    std::lock_guard lock(mutex_);
    failing_loads_ = count;
  }
  void ClearTroubles() {
    std::lock_guard lock(mutex_);
    troubles_.clear();
    failing_loads_ = 0;
  }
  // A rebuilt read model switched in: a new generation and its own offsets.
  void SwitchTo(std::string generation, StoredOffsets offsets) {
    std::lock_guard lock(mutex_);
    generation_ = std::move(generation);
    offsets_ = std::move(offsets);
    orders_.clear();
  }

  StoredOffsets Offsets() const {
    std::lock_guard lock(mutex_);
    return offsets_;
  }
  std::map<std::string, domain::Order> Orders() const {
    std::lock_guard lock(mutex_);
    return orders_;
  }
  std::map<std::string, domain::Stock> Stocks() const {
    std::lock_guard lock(mutex_);
    return stocks_;
  }
  std::vector<WriteMode> Attempts() const {
    std::lock_guard lock(mutex_);
    return attempts_;
  }
  int ForgetKnownOrdersCalls() const {
    std::lock_guard lock(mutex_);
    return forget_calls_;
  }

  platform::Result<StorePosition> LoadPosition(const std::string& /*topic*/,
                                               const std::vector<platform::Partition>& partitions) override {
    std::lock_guard lock(mutex_);
    if (failing_loads_ > 0) {
      --failing_loads_;
      return platform::Fail("the store is down");
    }
    return PositionOf(partitions);
  }

  ApplyOutcome Apply(const DecodedBatch& batch, const Fence& fence, WriteMode mode) override {
    std::lock_guard lock(mutex_);
    attempts_.push_back(mode);
    ApplyOutcome outcome;
    const auto trouble = NextTrouble();
    if (trouble == Trouble::kFail || trouble == Trouble::kInDoubtNotCommitted) {
      outcome.kind = trouble == Trouble::kFail ? ApplyOutcome::Kind::kFailed : ApplyOutcome::Kind::kInDoubt;
      outcome.error = "the store is down";
      return outcome;
    }
    if (trouble == Trouble::kRowsExist && mode == WriteMode::kFast) {
      outcome.kind = ApplyOutcome::Kind::kRowsExist;
      outcome.error = "duplicate key value violates unique constraint";
      return outcome;
    }
    std::vector<platform::Partition> partitions;
    for (const auto& [partition, offset] : fence.expected) partitions.push_back(partition);
    outcome.stored = PositionOf(partitions);
    if (!FenceHolds(fence, outcome.stored)) {
      outcome.kind = ApplyOutcome::Kind::kStoreMoved;
      return outcome;
    }
    outcome.writes = FoldBatch(batch, orders_, stocks_);
    for (const auto& order : outcome.writes.upserts) orders_[order.order_id] = order;
    for (const auto& stock : outcome.writes.stocks) stocks_[stock.product_id] = stock;
    for (const auto& [partition, next] : outcome.writes.next_offsets) offsets_[partition] = next;
    outcome.kind = trouble == Trouble::kInDoubtCommitted ? ApplyOutcome::Kind::kInDoubt : ApplyOutcome::Kind::kApplied;
    return outcome;
  }

  void ForgetKnownOrders() override {
    std::lock_guard lock(mutex_);
    ++forget_calls_;
  }

 private:
  std::optional<Trouble> NextTrouble() {
    if (troubles_.empty()) return std::nullopt;
    const auto trouble = troubles_.front();
    troubles_.pop_front();
    return trouble;
  }
  StorePosition PositionOf(const std::vector<platform::Partition>& partitions) const {
    StorePosition position{generation_, {}};
    for (auto partition : partitions) {
      if (auto it = offsets_.find(partition); it != offsets_.end()) position.offsets.insert(*it);
    }
    return position;
  }

  mutable std::mutex mutex_;
  std::string generation_ = "generation-1";
  StoredOffsets offsets_;
  std::map<std::string, domain::Order> orders_;
  std::map<std::string, domain::Stock> stocks_;  // whole fold states (every reservation kept)
  std::deque<Trouble> troubles_;
  int failing_loads_ = 0;
  std::vector<WriteMode> attempts_;
  int forget_calls_ = 0;
};

}  // namespace orders::projection

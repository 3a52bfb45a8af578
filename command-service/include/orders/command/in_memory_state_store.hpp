#pragma once
// The state store in memory: what the unit tests use in place of RocksDB.
// Same contract (command_state_store.hpp); nothing survives the process.

#include <map>
#include <mutex>

#include <orders/command/command_state_store.hpp>

namespace orders::command {

class InMemoryStateStore : public CommandStateStore {
 public:
  platform::Result<void> Write(const StateBatch& batch) override;
  std::optional<StateCheckpoint> Checkpoint(StateStream stream) const override;
  std::optional<std::string> State(StateStream stream, const std::string& id) const override;
  std::optional<StoredKey> Key(const std::string& key) const override;
  void ForEachState(StateStream stream, const StateVisitor& visit) const override;
  void ForEachKey(const KeyVisitor& visit) const override;
  platform::Result<void> Discard(StateStream stream) override;
  platform::Result<void> Persist() override { return {}; }  // nothing outlives the process anyway

 private:
  struct Stream {
    std::map<std::string, std::string> states;
    std::optional<StateCheckpoint> checkpoint;
  };
  const Stream& Of(StateStream stream) const { return stream == StateStream::kOrders ? orders_ : inventory_; }
  Stream& Of(StateStream stream) { return stream == StateStream::kOrders ? orders_ : inventory_; }

  mutable std::mutex mutex_;
  Stream orders_;
  Stream inventory_;
  std::map<std::string, StoredKey> keys_;
};

}  // namespace orders::command

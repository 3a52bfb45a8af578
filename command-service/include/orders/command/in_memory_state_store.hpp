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
  std::vector<std::optional<std::string>> States(StateStream stream,
                                                 const std::vector<std::string>& ids) const override;
  void ForEachState(StateStream stream, const StateVisitor& visit) const override;
  bool ForEachResident(StateStream stream, const ResidentVisitor& visit) const override;
  void ForEachKey(domain::Timestamp placed_from, const KeyVisitor& visit) const override;
  platform::Result<void> Discard(StateStream stream) override;
  platform::Result<void> Persist() override { return {}; }  // nothing outlives the process anyway

 private:
  struct Stream {
    std::map<std::string, std::string> states;
    std::map<std::string, std::optional<domain::Timestamp>> resident;
    std::optional<StateCheckpoint> checkpoint;
  };
  const Stream& Of(StateStream stream) const { return stream == StateStream::kOrders ? orders_ : inventory_; }
  Stream& Of(StateStream stream) { return stream == StateStream::kOrders ? orders_ : inventory_; }

  mutable std::mutex mutex_;
  Stream orders_;
  Stream inventory_;
  // By placement time, then name: the order RocksDB keeps them in.
  std::map<std::pair<domain::Timestamp, std::string>, StoredKey> keys_;
};

}  // namespace orders::command

#include <orders/command/in_memory_state_store.hpp>

namespace orders::command {

platform::Result<void> InMemoryStateStore::Write(const StateBatch& batch) {
  std::lock_guard lock(mutex_);
  Stream& stream = Of(batch.stream);
  for (const auto& id : batch.erased_states) stream.states.erase(id);
  for (const auto& key : batch.erased_keys) keys_.erase(key);
  for (const auto& [id, state] : batch.states) stream.states[id] = state;
  for (const auto& [key, record] : batch.keys) keys_[key] = record;
  stream.checkpoint = batch.checkpoint;
  return {};
}

std::optional<StateCheckpoint> InMemoryStateStore::Checkpoint(StateStream stream) const {
  std::lock_guard lock(mutex_);
  return Of(stream).checkpoint;
}

std::optional<std::string> InMemoryStateStore::State(StateStream stream, const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto& states = Of(stream).states;
  auto it = states.find(id);
  if (it == states.end()) return std::nullopt;
  return it->second;
}

std::optional<StoredKey> InMemoryStateStore::Key(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

void InMemoryStateStore::ForEachState(StateStream stream, const StateVisitor& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [id, state] : Of(stream).states) visit(id, state);
}

void InMemoryStateStore::ForEachKey(const KeyVisitor& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [key, record] : keys_) visit(key, record);
}

platform::Result<void> InMemoryStateStore::Discard(StateStream stream) {
  std::lock_guard lock(mutex_);
  Of(stream) = {};
  if (stream == StateStream::kOrders) keys_.clear();
  return {};
}

}  // namespace orders::command

#include <orders/command/in_memory_state_store.hpp>

namespace orders::command {

platform::Result<void> InMemoryStateStore::Write(const StateBatch& batch) {
  std::lock_guard lock(mutex_);
  Stream& stream = Of(batch.stream);
  for (const auto& id : batch.erased_states) {
    stream.states.erase(id);
    stream.resident.erase(id);
  }
  for (const auto& id : batch.not_resident) stream.resident.erase(id);
  if (batch.erase_keys_placed_before) {
    keys_.erase(keys_.begin(), keys_.lower_bound({*batch.erase_keys_placed_before, std::string()}));
  }
  for (const auto& [id, state] : batch.states) stream.states[id] = state;
  for (const auto& [id, since] : batch.resident) stream.resident[id] = since;
  for (const auto& [key, record] : batch.keys) keys_[{record.placed_at, key}] = record;
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

std::vector<std::optional<std::string>> InMemoryStateStore::States(StateStream stream,
                                                                   const std::vector<std::string>& ids) const {
  std::vector<std::optional<std::string>> found;
  found.reserve(ids.size());
  for (const auto& id : ids) found.push_back(State(stream, id));
  return found;
}

void InMemoryStateStore::ForEachState(StateStream stream, const StateVisitor& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [id, state] : Of(stream).states) visit(id, state);
}

bool InMemoryStateStore::ForEachResident(StateStream stream, const ResidentVisitor& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [id, since] : Of(stream).resident) visit(id, since);
  return true;
}

void InMemoryStateStore::ForEachKey(domain::Timestamp placed_from, const KeyVisitor& visit) const {
  std::lock_guard lock(mutex_);
  for (auto it = keys_.lower_bound({placed_from, std::string()}); it != keys_.end(); ++it) {
    visit(it->first.second, it->second);
  }
}

platform::Result<void> InMemoryStateStore::Discard(StateStream stream) {
  std::lock_guard lock(mutex_);
  Of(stream) = {};
  if (stream == StateStream::kOrders) keys_.clear();
  return {};
}

}  // namespace orders::command

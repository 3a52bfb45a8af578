#pragma once
// The hub's subscription indexes, sized to what they hold. With tens of
// thousands of connections, most following one customer or one order, an
// index entry per connection is a large share of what a connection costs:
// a std::set spends a 40-byte tree node per member, a sorted vector 8 bytes,
// and gives back what it no longer needs as members leave. Hash maps keyed by
// customer or order keep their bucket arrays after a mass disconnect unless
// told otherwise; ShrinkIfSparse tells them.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace orders::notifier {

using SessionId = std::uint64_t;

class SessionSet {
 public:
  using const_iterator = std::vector<SessionId>::const_iterator;

  // Ids arrive mostly in increasing order (new connections), so inserting is
  // usually an append.
  void insert(SessionId id) {
    auto at = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (at == ids_.end() || *at != id) ids_.insert(at, id);
  }
  void erase(SessionId id) {
    auto at = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (at == ids_.end() || *at != id) return;
    ids_.erase(at);
    // Give memory back once three quarters of it are unused (not at every
    // erase, so a member leaving and another coming costs no reallocation).
    if (ids_.size() * 4 <= ids_.capacity()) ids_.shrink_to_fit();
  }
  std::size_t count(SessionId id) const { return std::binary_search(ids_.begin(), ids_.end(), id) ? 1 : 0; }
  bool empty() const { return ids_.empty(); }
  std::size_t size() const { return ids_.size(); }
  std::size_t capacity() const { return ids_.capacity(); }
  const_iterator begin() const { return ids_.begin(); }
  const_iterator end() const { return ids_.end(); }

 private:
  std::vector<SessionId> ids_;
};

// Gives a hash map's bucket array back when it holds far fewer entries than
// it has buckets (after many connections left); cheap to call after each erase.
template <typename Map>
void ShrinkIfSparse(Map& map) {
  constexpr std::size_t kMinBuckets = 64;
  if (map.bucket_count() > kMinBuckets && map.size() * 8 < map.bucket_count()) map.rehash(0);
}

}  // namespace orders::notifier

#pragma once
// The pages of the list snapshot rendered last, reused while nothing they were
// rendered from has changed. Subscribers arrive in waves (a page reload across
// a fleet of staff boards, a reconnect storm, a swarm of courier phones):
// every `all` subscriber then gets the same 100 orders, and rendering them for
// each one (about 100 orders to JSON, a few hundred microseconds) was most of
// what a subscription cost. The pages depend only on the selector, on whose
// declines are left out, and on the cache's contents, so the memo is keyed by
// those and by the cache's generation: any change to any order renders afresh.
// One entry: a wave repeats one key; anything else costs what it did before.
// It holds at most one snapshot (SnapshotPaging::total_bytes). Not thread-safe.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <orders/notifier/protocol.hpp>

namespace orders::notifier {

class SnapshotMemo {
 public:
  using Pages = std::vector<std::string>;

  // The pages for `selector` (without the orders `decliner` declined, when
  // given) at cache generation `generation`: those rendered last when all
  // three are the same, otherwise `render()`'s, kept for the next call. Valid
  // until the next call.
  const Pages& Get(const Selector& selector, const std::string* decliner, std::uint64_t generation,
                   const std::function<Pages()>& render);

 private:
  bool valid_ = false;
  Selector::Kind kind_{};
  std::string value_;
  std::optional<std::string> decliner_;
  std::uint64_t generation_ = 0;
  Pages pages_;
};

}  // namespace orders::notifier

#pragma once
// `projection-service rebuild`: replays the whole orders and inventory topics into fresh tables
// (schema <READ_MODEL_SCHEMA>__rebuild) while the live tables keep serving
// and the running service keeps projecting into them, then switches readers
// over atomically (schema_switch.hpp) and exits. Progress goes to `out`, one
// line a second. After the switch, every running projection-service notices
// the new generation with its next batch and re-reads its positions from the
// rebuilt tables, so it keeps projecting into them. The previous tables are
// kept in <READ_MODEL_SCHEMA>__retired_<UTC time> until dropped by hand.
// projection-service/README.md ("Rebuild") has the whole story.

#include <chrono>
#include <cstdint>
#include <cstdio>

#include <orders/platform/config.hpp>

namespace orders::projection {

struct RebuildOptions {
  // Try to switch once at most this many records of the topic are not applied yet.
  std::int64_t switch_when_behind = 5000;
  // The longest the switch waits for a lock on the live tables before trying again later.
  std::chrono::milliseconds lock_timeout{500};
  // The longest the live tables stay locked while the rebuilt ones catch up with them.
  std::chrono::milliseconds catch_up_limit{5000};
  std::chrono::milliseconds progress_every{1000};
};

// The process exit code: 0 once switched, 1 on failure (the live tables are
// untouched; the next rebuild starts over).
int RunRebuild(const platform::ServiceConfig& config, const RebuildOptions& options, std::FILE* out);

}  // namespace orders::projection

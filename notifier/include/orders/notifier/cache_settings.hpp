#pragma once
// The order cache's budget and the read-model lookups behind it, read once at
// start from the environment. Pure.
//
//   NOTIFIER_CACHE_BYTES        the cache's budget: bytes, or with a KiB, MiB or GiB
//                               suffix; default 256MiB, from 64KiB to 1024GiB
//   NOTIFIER_READ_MODEL_LOOKUP  on|off: ask the read model (DATABASE_URL,
//                               READ_MODEL_SCHEMA) about orders the cache
//                               dropped; default on when DATABASE_URL is set
//   NOTIFIER_LOOKUP_TIMEOUT_MS  how long such a lookup may take before the
//                               client is told `unavailable`; default 3000
//                               (100-60000)

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::notifier {

struct CacheSettings {
  std::size_t max_bytes = 256 * 1024 * 1024;
  bool read_model_lookup = false;
  std::chrono::milliseconds lookup_timeout{3000};
};

struct CacheSettingsResult {
  std::optional<CacheSettings> settings;
  std::vector<std::string> problems;  // empty when settings is set
};

CacheSettingsResult LoadCacheSettings(const std::map<std::string, std::string>& environment);

// "268435456", "256MiB", "64KiB", "2GiB" as bytes; nullopt for anything else.
std::optional<std::size_t> ParseByteSize(const std::string& text);

}  // namespace orders::notifier

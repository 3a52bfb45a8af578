#pragma once
// Wall-clock stamps the load tools put into messages ("t=<ns>") so that the
// receiving side, on the same host, can time the whole path.

#include <chrono>
#include <cstdint>

namespace orders::bench {

inline std::int64_t RealtimeNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace orders::bench

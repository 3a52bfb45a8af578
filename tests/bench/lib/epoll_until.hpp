#pragma once
// epoll_wait up to a point in time, to the microsecond. The open-loop load
// tools sleep until the next request is due (or an answer arrives) with it:
// polling with a zero timeout instead took a whole core from the services
// they measure, which share the machine's two cores with them.

#include <sys/epoll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace orders::bench {

inline int EpollWaitUntil(int epoll, epoll_event* events, int max_events,
                          std::chrono::steady_clock::time_point deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  const auto ns = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
  const timespec timeout{static_cast<std::time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  return epoll_pwait2(epoll, events, max_events, &timeout, nullptr);
}

}  // namespace orders::bench

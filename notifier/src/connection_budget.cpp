#include <orders/notifier/connection_budget.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>

namespace orders::notifier {

FdLimits RaiseFdLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  FdLimits result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) result.soft = limit.rlim_max;
  }
  return result;
}

std::size_t OpenFdCount() {
  std::error_code error;
  std::size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

ConnectionBudget BudgetConnections(std::uint64_t fd_limit, std::size_t fds_in_use, std::size_t configured,
                                   std::uint64_t internal) {
  // Kafka clients (a socket and wake-up descriptors per broker), database
  // connections, the log, the timer: a reserve, smaller when the whole limit
  // is small. What lies past the base reserve gets at most a further quarter.
  const std::uint64_t base = std::min<std::uint64_t>(std::min<std::uint64_t>(internal, kBaseFdReserve), fd_limit / 3);
  const std::uint64_t extra = internal > kBaseFdReserve ? std::min(internal - kBaseFdReserve, fd_limit / 4) : 0;
  const std::uint64_t reserve = base + extra;
  const std::uint64_t used = fds_in_use + reserve;
  const std::uint64_t available = fd_limit > used ? fd_limit - used : 0;
  // Plain requests (health checks, metrics, the page) keep a few places.
  const std::uint64_t http_room = std::clamp<std::uint64_t>(available / 64, 4, 64);
  const std::uint64_t fit = available > http_room ? available - http_room : 1;
  ConnectionBudget budget;
  budget.websockets = static_cast<std::size_t>(configured == 0 ? fit : std::min<std::uint64_t>(configured, fit));
  budget.clamped = configured > fit;
  budget.http = budget.websockets + static_cast<std::size_t>(http_room);
  return budget;
}

}  // namespace orders::notifier

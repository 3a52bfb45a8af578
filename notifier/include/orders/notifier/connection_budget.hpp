#pragma once
// How many connections the notifier can hold. Each is a file descriptor, and
// at the descriptor limit two things break: RESTinio 0.6.16's acceptor drops
// an accept that failed (EMFILE) without scheduling the next one
// (impl/acceptor.hpp, call_accept_now), so the server never accepts again,
// even after clients leave; and librdkafka cannot open broker sockets. So the
// process raises its soft RLIMIT_NOFILE to the hard limit at start and keeps
// RESTinio's connection limit below it, with room for Kafka and the rest; past
// the WebSocket limit an upgrade is answered 503 (Retry-After) instead.

#include <cstddef>
#include <cstdint>

namespace orders::notifier {

struct FdLimits {
  std::uint64_t soft_before = 0;  // the soft limit the process started with
  std::uint64_t soft = 0;         // after raising it
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (I/O: setrlimit).
FdLimits RaiseFdLimit();
// Descriptors this process has open now (/proc/self/fd).
std::size_t OpenFdCount();

struct ConnectionBudget {
  std::size_t websockets = 0;  // upgrades beyond this are answered 503
  std::size_t http = 0;        // RESTinio's limit: the WebSockets plus room for plain requests
  bool clamped = false;        // a configured MAX_CONNECTIONS did not fit the descriptor limit
};

// Descriptors kept for the notifier's own clients: the base covers the order
// feed, logs and timers; each further Kafka client and database connection adds.
inline constexpr std::uint64_t kBaseFdReserve = 64;
inline constexpr std::uint64_t kFdsPerKafkaClient = 16;

// Pure. `configured` 0: as many as the descriptors allow after keeping
// `fds_in_use`, `internal` descriptors for the service's own clients, and room
// for plain HTTP.
ConnectionBudget BudgetConnections(std::uint64_t fd_limit, std::size_t fds_in_use, std::size_t configured,
                                   std::uint64_t internal = kBaseFdReserve);

}  // namespace orders::notifier

// orders_tcp_proxy: the tests' round-robin TCP proxy (orders::testing::TcpProxy)
// as a process of its own, a load balancer in front of several command-service
// instances for the `scaleout` benchmark phase.
//
//   orders_tcp_proxy --targets PORT[,PORT...]
//
// Listens on a free loopback port, printed as {"msg":"listening","port":N}
// (the line bench.sh reads for every process started on port 0); each new
// connection goes to the next target, for the connection's whole life.
// SIGTERM or SIGINT stops it.

#include <signal.h>

#include <cstdio>
#include <exception>

#include <orders/testing/tcp_proxy.hpp>

#include "lib/bench_args.hpp"
#include "lib/connection_routes.hpp"

int main(int argc, char** argv) try {
  const orders::bench::Args args(argc, argv);
  const auto targets = orders::bench::ParsePortList(args.Get("targets"));
  if (!targets) {
    std::fprintf(stderr, "usage: orders_tcp_proxy --targets PORT[,PORT...]\n");
    return 2;
  }
  // Blocked before the proxy's thread starts, so that thread inherits the mask and only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  orders::testing::TcpProxy proxy(*targets);
  std::printf("{\"msg\":\"listening\",\"port\":%u,\"targets\":%zu}\n", static_cast<unsigned>(proxy.port()),
              targets->size());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "orders_tcp_proxy: %s\n", error.what());
  return 1;
}

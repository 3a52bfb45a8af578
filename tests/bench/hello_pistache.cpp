// orders_hello_pistache: the HTTP baseline for the command service — a
// Pistache endpoint with the command service's server options (one thread,
// the same limits and timeouts) that answers POST /orders with a fixed small
// JSON body after reading the request, doing no other work.
//
//   orders_hello_pistache [port=0]   prints {"msg":"listening","port":N}

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <pistache/endpoint.h>
#include <pistache/router.h>

using namespace Pistache;

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Http::Endpoint endpoint(Address("127.0.0.1", Port(static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0))));
  endpoint.init(Http::Endpoint::options()
                    .threads(1)
                    .maxRequestSize(256 * 1024)
                    .headerTimeout(std::chrono::seconds(5))
                    .bodyTimeout(std::chrono::seconds(10))
                    .keepaliveTimeout(std::chrono::seconds(30))
                    .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay));
  Rest::Router router;
  router.addRoute(Http::Method::Post, "/orders", [](const Rest::Request& request, Http::ResponseWriter response) {
    response.setMime(MIME(Application, Json));
    response.send(Http::Code::Created, request.body().empty() ? "{}" : R"({"hello":"world"})");
    return Rest::Route::Result::Ok;
  });
  endpoint.setHandler(router.handler());
  endpoint.serveThreaded();
  std::printf("{\"msg\":\"listening\",\"port\":%u}\n", static_cast<unsigned>(endpoint.getPort()));
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  endpoint.shutdown();
  return 0;
}

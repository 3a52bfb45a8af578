#pragma once
// The Pistache handler of the command API: the router behind a
// RequestFramer (request_framer.hpp). Pistache's own Http::Handler::onInput
// feeds raw reads to its parser, answers its parse errors with internal text
// (a 500 with "std::bad_alloc" for `Content-Length: -1`) and drops a second
// request that came in the same read. This handler replaces that entry point:
// it frames the byte stream itself, refuses bad framing with a problem+json
// answer and closes the connection, checks each whole request with Pistache's
// parser (any failure: our 400), and hands requests to the router one at a
// time: the next request only after the previous answer was queued for
// writing. Pistache writes everything through one FIFO queue, so answers keep
// the order of the requests.
//
// Threading: Pistache calls onInput on its reactor thread (threads(1)); the
// connection state lives in the peer's data and is touched on that thread,
// except for the `awaiting_answer` and `blocked` flags, which Answer() (any
// thread) and the reactor change under the connection's mutex. The answer is
// queued and the connection freed in one step, before the client can have the
// answer: a keep-alive client's next request therefore always finds the
// connection free and is delivered on arrival. Only a request that was already
// waiting (pipelined) needs the hop back onto the reactor (ResumeOnReactor: a
// one-millisecond timer, the one way onto it Pistache offers without a race).
//
// Two more things Pistache 0.0.5 cannot do are done here, where every
// connection and every framed request passes:
//   - A connection cap: Pistache accepts without limit. Connections are
//     counted from their first bytes to onDisconnection; one over
//     `max_connections` is answered 503 problem+json (Retry-After: 1) and
//     closed at once, so it costs a descriptor for a moment only. (Idle
//     connections that never send are cut by the header timeout.)
//   - Unknown methods (QUERY, BREW, ...): Pistache's parser throws on them.
//     They are answered 501 problem+json at once, and the connection stays
//     open (the request was framed, so the stream position is known).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include <pistache/http.h>
#include <pistache/router.h>

namespace orders::command {

// Open connections, shared by the handler's per-reactor copies.
struct ConnectionGate {
  explicit ConnectionGate(std::size_t max) : max_connections(max) {}
  const std::size_t max_connections;
  std::atomic<std::size_t> open{0};
  std::atomic<std::uint64_t> refused{0};
};

class GuardedHandler : public Pistache::Rest::Private::RouterHandler {
 public:
  HTTP_PROTOTYPE(GuardedHandler)

  GuardedHandler(const Pistache::Rest::Router& routes, std::shared_ptr<ConnectionGate> gate)
      : RouterHandler(routes), gate_(std::move(gate)) {}

  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onInput(const char* buffer, size_t length, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

  // Queues the answer to the current request of `peer` (`queue_answer` writes
  // it with Peer::send) and lets the connection's next request through.
  // Safe from any thread.
  static void Answer(const std::weak_ptr<Pistache::Tcp::Peer>& peer, const std::function<void()>& queue_answer);

 private:
  struct Connection;
  static void ResumeOnReactor(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection);
  void DeliverReady(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection);
  void Deliver(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection, const std::string& bytes);
  Connection& ConnectionOf(const std::shared_ptr<Pistache::Tcp::Peer>& peer);

  std::shared_ptr<ConnectionGate> gate_;
};

}  // namespace orders::command

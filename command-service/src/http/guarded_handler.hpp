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
// waiting (pipelined) needs the hop back onto the reactor (ResumeOnReactor).

#include <functional>
#include <memory>

#include <pistache/http.h>
#include <pistache/router.h>

namespace orders::command {

class GuardedHandler : public Pistache::Rest::Private::RouterHandler {
 public:
  HTTP_PROTOTYPE(GuardedHandler)

  explicit GuardedHandler(const Pistache::Rest::Router& routes) : RouterHandler(routes) {}

  void onInput(const char* buffer, size_t length, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

  // Queues the answer to the current request of `peer` (`queue_answer` calls
  // ResponseWriter::send) and lets the connection's next request through.
  // Safe from any thread.
  static void Answer(const std::weak_ptr<Pistache::Tcp::Peer>& peer, const std::function<void()>& queue_answer);

 private:
  struct Connection;
  static void ResumeOnReactor(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection, int attempt);
  void DeliverReady(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection);
  void Deliver(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection, const std::string& bytes);
};

}  // namespace orders::command

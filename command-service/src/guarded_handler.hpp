#pragma once
// The Pistache handler of the command API: the router behind a
// RequestFramer (request_framer.hpp). Pistache's own Http::Handler::onInput
// feeds raw reads to its parser, answers its parse errors with internal text
// (a 500 with "std::bad_alloc" for `Content-Length: -1`) and drops a second
// request that came in the same read. This handler replaces that entry point:
// it frames the byte stream itself, refuses bad framing with a problem+json
// answer and closes the connection, checks each whole request with Pistache's
// parser (any failure: our 400), and hands requests to the router one at a
// time: the next pipelined request only after the previous answer was
// written, so answers keep the order of the requests.
//
// Threading: Pistache calls onInput on its reactor thread (threads(1)); the
// connection state lives in the peer's data and is touched on that thread,
// except for the `awaiting_answer` flag, which AnswerWritten clears from
// whichever thread wrote the answer before hopping back to the reactor.

#include <memory>

#include <pistache/http.h>
#include <pistache/router.h>

namespace orders::command {

class GuardedHandler : public Pistache::Rest::Private::RouterHandler {
 public:
  HTTP_PROTOTYPE(GuardedHandler)

  explicit GuardedHandler(const Pistache::Rest::Router& routes) : RouterHandler(routes) {}

  void onInput(const char* buffer, size_t length, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

  // Called when an answer on `peer` was written (or failed): lets the next
  // pipelined request through. Safe from any thread.
  static void AnswerWritten(const std::weak_ptr<Pistache::Tcp::Peer>& peer);

 private:
  struct Connection;
  static void ResumeOnReactor(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection, int attempt);
  void DeliverReady(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection);
  void Deliver(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection& connection, const std::string& bytes);
};

}  // namespace orders::command

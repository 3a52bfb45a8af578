#include "guarded_handler.hpp"

#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <mutex>
#include <thread>
#include <utility>

#include <pistache/peer.h>
#include <pistache/transport.h>

#include <orders/command/request_framer.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/pistache/answer.hpp>
#include <orders/platform/problem.hpp>

namespace orders::command {

using namespace Pistache;
namespace web = platform::pistache_http;

namespace {

constexpr const char* kConnectionKey = "orders.connection";

// A whole problem+json response, written by hand (Pistache's writer needs a parsed request).
std::string ProblemResponse(const FramingRefusal& refusal, bool close) {
  web::HeaderList headers{{"Content-Type", platform::kProblemContentType}};
  if (refusal.status == 503) headers.emplace_back("Retry-After", "1");
  if (close) headers.emplace_back("Connection", "close");
  return web::WireResponse(refusal.status, refusal.title, headers,
                           platform::RenderProblem({refusal.status, refusal.title, refusal.detail, {}, {}}));
}

// The methods Pistache 0.0.5 parses; any other token makes its parser throw.
bool PistacheKnowsMethod(std::string_view method) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}) {
    if (method == known) return true;
  }
  return false;
}

// Whether the connection ends after this request: HTTP/1.0, or `Connection: close`.
bool ClientCloses(std::string_view head) {
  std::string lower(head.substr(0, head.find("\r\n\r\n")));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto line_end = lower.find("\r\n");
  if (lower.substr(0, line_end).find(" http/1.0") != std::string::npos)
    return lower.find("keep-alive") == std::string::npos;
  return lower.find("\r\nconnection: close") != std::string::npos ||
         lower.find("\r\nconnection:close") != std::string::npos;
}

// Writes a problem+json refusal and closes the connection once it is out.
void RefuseAndClose(const std::shared_ptr<Tcp::Peer>& peer, const FramingRefusal& refusal) {
  const std::string response = ProblemResponse(refusal, true);
  // After the bytes are out, shut the socket down: Pistache then sees the end
  // of the stream and releases the connection (and its descriptor) itself.
  // Only while the peer lives is its descriptor surely still this connection's.
  const std::weak_ptr<Tcp::Peer> weak_peer = peer;
  const auto shut = [weak_peer] {
    if (auto alive = weak_peer.lock()) ::shutdown(alive->fd(), SHUT_RDWR);
  };
  peer->send(RawBuffer(response, response.size()))
      .then([shut](ssize_t) { shut(); }, [shut](std::exception_ptr) { shut(); });
}

}  // namespace

struct GuardedHandler::Connection {
  RequestFramer framer;
  GuardedHandler* handler = nullptr;
  std::thread::id reactor;
  bool refused = false;
  bool counted = false;          // in the connection gate
  std::mutex mutex;              // guards the two flags below
  bool awaiting_answer = false;  // a request was delivered and not answered yet
  bool blocked = false;          // input waits in the framer for that answer
};

GuardedHandler::Connection& GuardedHandler::ConnectionOf(const std::shared_ptr<Tcp::Peer>& peer) {
  auto connection = std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionKey));
  if (!connection) {
    connection = std::make_shared<Connection>();
    connection->handler = this;
    connection->reactor = std::this_thread::get_id();
    peer->putData(kConnectionKey, connection);
  }
  return *connection;
}

void GuardedHandler::onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) {
  auto connection = std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionKey));
  if (gate_ && connection && connection->counted) gate_->open.fetch_sub(1);
  Tcp::Handler::onDisconnection(peer);
}

void GuardedHandler::onInput(const char* buffer, size_t length, const std::shared_ptr<Tcp::Peer>& peer) {
  Connection& connection = ConnectionOf(peer);
  if (connection.refused) return;  // the connection is being closed
  if (gate_ && !connection.counted) {
    // Counted from its first bytes: Http::Handler::onConnection (which makes
    // the parser) is private, so the first input is the first hook we have.
    // A connection that never sends is closed by the header timeout.
    connection.counted = true;
    if (gate_->open.fetch_add(1) + 1 > gate_->max_connections) {
      gate_->refused.fetch_add(1);
      connection.refused = true;
      RefuseAndClose(peer, {503, "Service Unavailable", "Too many open connections; try again shortly."});
      return;
    }
  }
  connection.framer.Append(std::string_view(buffer, length));
  DeliverReady(peer, connection);
}

void GuardedHandler::Answer(const std::weak_ptr<Tcp::Peer>& weak_peer, const std::function<void()>& queue_answer) {
  auto peer = weak_peer.lock();
  auto connection = peer ? std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionKey)) : nullptr;
  if (!connection) {
    queue_answer();
    return;
  }
  bool wake = false;
  {
    std::lock_guard lock(connection->mutex);
    queue_answer();
    connection->awaiting_answer = false;
    wake = std::exchange(connection->blocked, false);
  }
  if (wake) ResumeOnReactor(peer, *connection);
}

void GuardedHandler::ResumeOnReactor(const std::shared_ptr<Tcp::Peer>& peer, Connection& connection) {
  if (std::this_thread::get_id() == connection.reactor) {
    connection.handler->DeliverReady(peer, connection);
    return;
  }
  // Only for a request that was waiting behind the answer (pipelined), when
  // the answer came from another thread (a Kafka delivery thread answering a
  // command). Pistache offers no direct way onto its reactor. A write's
  // continuation is no way either: when the reactor has finished the write
  // before the continuation is attached, Pistache runs it at once on the
  // attaching thread, and on a busy machine that happens hop after hop (the
  // woken reactor preempts the thread that woke it). A timer is: its
  // continuation is attached before the timer is armed, and only the reactor
  // fires it. It costs a millisecond, and only pipelined requests wait it.
  const int timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer < 0) {
    // The waiting request is then served at the connection's next input or
    // answered 408 by Pistache's timeout, which closes the connection.
    platform::LogWarn("cannot resume a pipelined request: no timer descriptor", {{"errno", errno}});
    return;
  }
  const std::weak_ptr<Tcp::Peer> weak_peer = peer;
  Async::Deferred<uint64_t> arm;
  Async::Promise<uint64_t> fired([&arm](Async::Deferred<uint64_t> deferred) { arm = std::move(deferred); });
  fired.then(
      [weak_peer, timer](uint64_t) {
        ::close(timer);
        auto alive = weak_peer.lock();
        if (!alive) return;
        if (auto state = std::static_pointer_cast<Connection>(alive->tryGetData(kConnectionKey))) {
          ResumeOnReactor(alive, *state);
        }
      },
      [timer](std::exception_ptr) { ::close(timer); });
  connection.handler->transport()->armTimer(timer, std::chrono::milliseconds(1), std::move(arm));
}

void GuardedHandler::DeliverReady(const std::shared_ptr<Tcp::Peer>& peer, Connection& connection) {
  while (!connection.refused) {
    {
      std::lock_guard lock(connection.mutex);
      if (connection.awaiting_answer) {
        connection.blocked = true;  // Answer() brings us back
        return;
      }
    }
    auto next = connection.framer.Next();
    switch (next.kind) {
      case RequestFramer::Result::Kind::kNeedMore:
        return;
      case RequestFramer::Result::Kind::kRefused:
        connection.refused = true;
        RefuseAndClose(peer, next.refusal);
        return;
      case RequestFramer::Result::Kind::kRequest:
        Deliver(peer, connection, next.request);
        break;
    }
  }
}

void GuardedHandler::Deliver(const std::shared_ptr<Tcp::Peer>& peer, Connection& connection, const std::string& bytes) {
  const std::string_view method = std::string_view(bytes).substr(0, bytes.find(' '));
  if (!PistacheKnowsMethod(method)) {
    // Every earlier answer is already queued (Deliver runs only then), so this
    // one keeps the order of the requests.
    const FramingRefusal refusal{501, "Not Implemented", "This method is not supported by this service."};
    if (ClientCloses(bytes)) {
      connection.refused = true;
      RefuseAndClose(peer, refusal);
      return;
    }
    const std::string response = ProblemResponse(refusal, false);
    peer->send(RawBuffer(response, response.size())).then([](ssize_t) {}, [](std::exception_ptr) {});
    return;
  }
  // Pistache keeps one parser per connection (it also times the connection
  // out by it). It gets exactly one whole request, already framed.
  auto parser = Http::Handler::getParser(peer);
  parser->reset();
  bool parsed = false;
  try {
    parsed = parser->feed(bytes.data(), bytes.size()) && parser->parse() == Http::Private::State::Done;
  } catch (...) {
    parsed = false;  // Pistache's parser reports errors with its internal text: never sent
  }
  if (!parsed) {
    parser->reset();
    connection.refused = true;
    RefuseAndClose(peer, {400, "Bad Request", "The request could not be parsed."});
    return;
  }

  auto& request = parser->request;
  Http::ResponseWriter response(request.version(), transport(), this, peer);
  request.copyAddress(peer->address());
  auto connection_header = request.headers().tryGet<Http::Header::Connection>();
  response.headers().add<Http::Header::Connection>(connection_header ? connection_header->control()
                                                                     : Http::ConnectionControl::Close);
  peer->setIdle(false);
  {
    std::lock_guard lock(connection.mutex);
    connection.awaiting_answer = true;
  }
  try {
    onRequest(request, std::move(response));
  } catch (const std::exception& error) {
    // Handlers catch everything; this is the last line of defence.
    platform::LogError("request dispatch failed", {{"error", error.what()}});
    {
      std::lock_guard lock(connection.mutex);
      connection.awaiting_answer = false;
    }
    connection.refused = true;
    RefuseAndClose(peer, {500, "Internal Server Error", "The request could not be handled."});
  }
  parser->reset();
}

}  // namespace orders::command

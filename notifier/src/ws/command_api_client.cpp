#include <orders/notifier/command_api_client.hpp>

#include <array>

#include <orders/codec/json_read.hpp>
#include <orders/platform/log.hpp>

namespace orders::notifier {
namespace {

using nlohmann::json;
using Socket = asio::ip::tcp::socket;

json Problem(int status, std::string_view title, std::string_view detail) {
  return {{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}};
}

std::string_view TitleOf(int status) {
  switch (status) {
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Gateway Timeout";
  }
}

}  // namespace

struct CommandApiClient::Call {
  Call(asio::io_context& io, std::function<void(CommandAnswer)> done_callback)
      : deadline(io), done(std::move(done_callback)) {}

  std::string request;
  asio::steady_timer deadline;
  std::function<void(CommandAnswer)> done;
  std::unique_ptr<Socket> socket;
  bool reused = false;   // the socket came from the idle pool
  bool retried = false;  // already retried once on a fresh connection
  bool finished = false;
  bool started = false;  // holds one of the connections in use (else waits in queued_)
  HttpResponseReader reader;
  std::array<char, 8192> buffer{};
};

CommandApiClient::CommandApiClient(asio::io_context& io, HttpEndpoint endpoint, CommandApiOptions options)
    : io_(io), endpoint_(std::move(endpoint)), options_(options), resolver_(io) {}

CommandApiClient::~CommandApiClient() = default;

void CommandApiClient::Run(const HttpCall& http_call, const std::string& bearer_token,
                           std::function<void(CommandAnswer)> done) {
  auto call = std::make_shared<Call>(io_, std::move(done));
  call->reader = HttpResponseReader(options_.max_response_bytes);
  std::string& request = call->request;
  request = http_call.method + " " + endpoint_.base_path + http_call.target +
            " HTTP/1.1\r\nHost: " + endpoint_.host_header +
            "\r\nAccept: application/json, application/problem+json\r\n";
  if (!bearer_token.empty()) request += "Authorization: Bearer " + bearer_token + "\r\n";
  if (http_call.idempotency_key) request += "Idempotency-Key: " + *http_call.idempotency_key + "\r\n";
  if (http_call.body) {
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(http_call.body->size()) +
               "\r\n\r\n" + *http_call.body;
  } else {
    request += "Content-Length: 0\r\n\r\n";
  }
  call->deadline.expires_after(options_.timeout);
  call->deadline.async_wait([this, call](asio::error_code error) {
    if (error || call->finished) return;
    Fail(call, 504,
         "The command API did not answer in time; the command may have run. Check the order before "
         "sending it again.");
  });
  if (in_use_ >= options_.max_connections) {
    queued_.push_back(call);
    return;
  }
  Dispatch(call);
}

void CommandApiClient::Dispatch(const std::shared_ptr<Call>& call) {
  call->started = true;
  ++in_use_;
  // Started from the io loop, so that `done` never runs inside Run.
  asio::post(io_, [this, call] { Start(call); });
}

void CommandApiClient::Start(const std::shared_ptr<Call>& call) {
  if (call->finished) return;
  if (!idle_.empty()) {
    call->socket = std::move(idle_.back());
    idle_.pop_back();
    call->reused = true;
    Write(call);
    return;
  }
  Connect(call);
}

void CommandApiClient::Connect(const std::shared_ptr<Call>& call) {
  call->reused = false;
  call->socket = std::make_unique<Socket>(io_);
  ++connections_opened_;
  resolver_.async_resolve(endpoint_.host, endpoint_.port,
                          [this, call](asio::error_code error, asio::ip::tcp::resolver::results_type results) {
                            if (call->finished) return;
                            if (error) {
                              Fail(call, 503, "The command API cannot be reached; try again shortly.");
                              return;
                            }
                            asio::async_connect(
                                *call->socket, results, [this, call](asio::error_code connect_error, const auto&) {
                                  if (call->finished) return;
                                  if (connect_error) {
                                    Fail(call, 503, "The command API cannot be reached; try again shortly.");
                                    return;
                                  }
                                  asio::error_code ignored;
                                  call->socket->set_option(asio::ip::tcp::no_delay(true), ignored);
                                  Write(call);
                                });
                          });
}

void CommandApiClient::Write(const std::shared_ptr<Call>& call) {
  asio::async_write(*call->socket, asio::buffer(call->request), [this, call](asio::error_code error, std::size_t) {
    if (call->finished) return;
    if (error) {
      if (call->reused && !call->retried) {
        call->retried = true;
        Connect(call);  // the server closed the idle connection meanwhile
        return;
      }
      Fail(call, 503, "The command API cannot be reached; try again shortly.");
      return;
    }
    Read(call);
  });
}

void CommandApiClient::Read(const std::shared_ptr<Call>& call) {
  call->socket->async_read_some(asio::buffer(call->buffer), [this, call](asio::error_code error, std::size_t n) {
    if (call->finished) return;
    HttpResponseReader::State state;
    if (error) {
      // A reused connection closed by the server before any answer: the
      // request never reached it, so it is sent again on a new connection.
      if (call->reused && !call->retried && !call->reader.received_anything()) {
        call->retried = true;
        call->reader = HttpResponseReader(options_.max_response_bytes);
        Connect(call);
        return;
      }
      state = error == asio::error::eof ? call->reader.FeedEnd() : HttpResponseReader::State::kBad;
      if (state == HttpResponseReader::State::kBad && !call->reader.received_anything()) {
        Fail(call, 503, "The command API closed the connection without answering; the command may have run.");
        return;
      }
    } else {
      state = call->reader.Feed(std::string_view(call->buffer.data(), n));
    }
    switch (state) {
      case HttpResponseReader::State::kIncomplete:
        Read(call);
        return;
      case HttpResponseReader::State::kBad:
        Fail(call, 502, "The command API's answer could not be read.");
        return;
      case HttpResponseReader::State::kComplete:
        break;
    }
    const std::string& text = call->reader.body();
    CommandAnswer answer{call->reader.status(), json::object()};
    if (!text.empty()) {
      auto parsed = codec::ParseJson(text, options_.max_response_bytes);
      if (!parsed) {
        Fail(call, 502, "The command API's answer was not JSON.");
        return;
      }
      answer.body = std::move(*parsed);
    }
    if (call->reader.keep_alive() && idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(call->socket));
    }
    Finish(call, std::move(answer));
  });
}

void CommandApiClient::Fail(const std::shared_ptr<Call>& call, int status, const std::string& detail) {
  if (call->finished) return;
  // Operators see why clients got a 502/503/504; the request (and its token) is never logged.
  platform::LogWarn("command API call failed",
                    {{"status", status}, {"detail", detail}, {"host", endpoint_.host_header}});
  if (call->socket) {
    asio::error_code ignored;
    call->socket->close(ignored);  // a late handler sees operation_aborted and `finished`
  }
  Finish(call, CommandAnswer{status, Problem(status, TitleOf(status), detail)});
}

void CommandApiClient::Finish(const std::shared_ptr<Call>& call, CommandAnswer answer) {
  if (call->finished) return;
  call->finished = true;
  call->deadline.cancel();
  if (call->started) {
    --in_use_;
  } else {
    std::erase(queued_, call);  // timed out while waiting its turn
  }
  auto done = std::move(call->done);
  StartQueued();
  done(std::move(answer));
}

void CommandApiClient::StartQueued() {
  while (in_use_ < options_.max_connections && !queued_.empty()) {
    auto next = std::move(queued_.front());
    queued_.pop_front();
    Dispatch(next);
  }
}

}  // namespace orders::notifier

#pragma once
// The port through which the hub runs a WebSocket command: one HTTP call to
// the command API with the session's own token. The real one is
// CommandApiClient (asynchronous, on the hub's io thread); tests use fakes.

#include <functional>
#include <string>

#include <nlohmann/json.hpp>
#include <orders/notifier/command_request.hpp>

namespace orders::notifier {

struct CommandAnswer {
  int status = 0;
  // The JSON the command API answered (an order, or a problem+json); when it
  // could not be reached or answered no JSON, a problem+json written here.
  nlohmann::json body;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // `bearer_token`: empty when auth is off (no Authorization header is sent).
  // `done` is called exactly once, on the hub's thread, and never from
  // within Run itself.
  virtual void Run(const HttpCall& call, const std::string& bearer_token, std::function<void(CommandAnswer)> done) = 0;
};

}  // namespace orders::notifier

#pragma once
// The one process entry point of every service: configuration (environment,
// then --flags), --help, the list of configuration problems, logging, start,
// waiting for SIGTERM/SIGINT, the graceful stop and the exit code. A main()
// only says which service it runs:
//
//   int main(int argc, char** argv) {
//     return platform::RunService(argc, argv, {{"notifier", 8082, ""}, "AUTH IS OFF: ..."},
//                                 platform::StartOf<notifier::NotifierService>());
//   }
//
// Exit codes: 0 after --help or a graceful stop, 1 when the service could not
// start, 2 when the configuration is invalid (every problem is listed).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <orders/platform/config.hpp>
#include <orders/platform/result.hpp>

namespace orders::platform {

// A service that accepts connections on `port` until `stop` is called.
struct StartedService {
  std::uint16_t port = 0;
  std::function<void()> stop;
};

using StartService = std::function<Result<StartedService>(const ServiceConfig&)>;

// Run instead of the service when it is the first argument, e.g.
// `projection-service rebuild`: the same configuration, its own name in logs
// and --help; SIGTERM/SIGINT end it at once (no graceful stop to wait for).
struct SubCommand {
  std::string name;
  std::string service_name;
  std::string usage;                             // appended to --help
  std::function<int(const ServiceConfig&)> run;  // returns the exit code
};

struct ServiceDefinition {
  ConfigDefaults defaults;
  // Logged at start with AUTH=off: what an open service exposes.
  std::string auth_off_warning;
  std::optional<SubCommand> sub_command = std::nullopt;
};

int RunService(int argc, char** argv, const ServiceDefinition& definition, const StartService& start);

// The StartService of a class with `explicit Service(ServiceConfig)`,
// `Result<std::uint16_t> Start()` and `void Stop()`. The service lives until
// the process has stopped it.
template <class Service>
StartService StartOf() {
  return [](const ServiceConfig& config) -> Result<StartedService> {
    auto service = std::make_shared<Service>(config);
    auto port = service->Start();
    if (!port) return port.error();
    return StartedService{*port, [service] { service->Stop(); }};
  };
}

}  // namespace orders::platform

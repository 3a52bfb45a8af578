// projection-service: builds the PostgreSQL read model from the order events
// and serves the query and report API. Configuration: orders/platform/config.hpp or --help.
#include <cstdio>

#include <orders/platform/config.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/shutdown.hpp>
#include <orders/projection/service.hpp>

int main(int argc, char** argv) {
  using namespace orders;
  platform::BlockTerminationSignals();
  const platform::ConfigDefaults defaults{"projection-service", 8081, "projection"};
  auto loaded = platform::LoadConfig(defaults, platform::ProcessEnvironment(), platform::Arguments(argc, argv));
  if (loaded.help_requested) {
    std::fputs(platform::ConfigUsage(defaults).c_str(), stdout);
    return 0;
  }
  if (!loaded.config) {
    std::fputs("projection-service: invalid configuration:\n", stderr);
    for (const auto& problem : loaded.problems) std::fprintf(stderr, "  - %s\n", problem.c_str());
    return 2;
  }
  const auto& config = *loaded.config;
  platform::InitLogging("projection-service", config.log_level);
  if (config.jwt_secret.empty()) {
    platform::LogWarn("AUTH IS OFF: JWT_SECRET is not set, anyone who can reach this port can read every order");
  }

  projection::ProjectionService service(config);
  const auto port = service.Start();
  if (!port) return 1;
  platform::LogInfo("listening", {{"port", *port}});
  const int signal_number = platform::WaitForTerminationSignal();
  platform::LogInfo("termination signal received", {{"signal", signal_number}});
  service.Stop();
  platform::LogInfo("stopped");
  return 0;
}

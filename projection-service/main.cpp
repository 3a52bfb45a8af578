// projection-service: builds the PostgreSQL read model from the order events
// and serves the query and report API. `projection-service rebuild` replays
// the topic into fresh tables and switches readers over (README "Rebuild").
// Configuration: orders/platform/config.hpp or --help.
#include <csignal>
#include <cstdio>

#include <orders/platform/config.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/shutdown.hpp>
#include <orders/projection/rebuild.hpp>
#include <orders/projection/service.hpp>

int main(int argc, char** argv) {
  using namespace orders;
  auto arguments = platform::Arguments(argc, argv);
  const bool rebuild = !arguments.empty() && arguments.front() == "rebuild";
  if (rebuild) {
    arguments.erase(arguments.begin());
    std::signal(SIGPIPE, SIG_IGN);  // Ctrl-C / SIGTERM end a rebuild at once: PostgreSQL rolls back the switch
  } else {
    platform::BlockTerminationSignals();
  }
  const platform::ConfigDefaults defaults{rebuild ? "projection-rebuild" : "projection-service", 8081, "projection"};
  auto loaded = platform::LoadConfig(defaults, platform::ProcessEnvironment(), arguments);
  if (loaded.help_requested) {
    std::fputs(platform::ConfigUsage(defaults).c_str(), stdout);
    std::fputs(
        "projection-service rebuild [--flag=value ...]: replay the topic into fresh tables, then switch\n"
        "  readers over atomically (see projection-service/README.md)\n",
        stdout);
    return 0;
  }
  if (!loaded.config) {
    std::fputs("projection-service: invalid configuration:\n", stderr);
    for (const auto& problem : loaded.problems) std::fprintf(stderr, "  - %s\n", problem.c_str());
    return 2;
  }
  const auto& config = *loaded.config;
  platform::InitLogging(defaults.service_name, config.log_level);
  if (rebuild) return projection::RunRebuild(config, {}, stdout);
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

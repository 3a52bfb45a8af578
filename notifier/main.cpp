// notifier: pushes order updates to WebSocket subscribers and serves the
// tracking page. Configuration: see orders/platform/config.hpp or --help.
#include <cstdio>

#include <orders/notifier/service.hpp>
#include <orders/platform/config.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/shutdown.hpp>

int main(int argc, char** argv) {
  using namespace orders;
  platform::BlockTerminationSignals();
  const platform::ConfigDefaults defaults{"notifier", 8082, ""};
  auto loaded = platform::LoadConfig(defaults, platform::ProcessEnvironment(), platform::Arguments(argc, argv));
  if (loaded.help_requested) {
    std::fputs(platform::ConfigUsage(defaults).c_str(), stdout);
    return 0;
  }
  if (!loaded.config) {
    std::fputs("notifier: invalid configuration:\n", stderr);
    for (const auto& problem : loaded.problems) std::fprintf(stderr, "  - %s\n", problem.c_str());
    return 2;
  }
  const auto& config = *loaded.config;
  platform::InitLogging("notifier", config.log_level);
  if (config.jwt_secret.empty()) {
    platform::LogWarn("AUTH IS OFF: JWT_SECRET is not set, any client can watch every order");
  }
  notifier::NotifierService service(config);
  if (!service.Start()) return 1;
  const int signal_number = platform::WaitForTerminationSignal();
  platform::LogInfo("termination signal received", {{"signal", signal_number}});
  service.Stop();
  return 0;
}

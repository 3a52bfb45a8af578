#include <orders/platform/process.hpp>

#include <csignal>
#include <cstdio>

#include <orders/platform/log.hpp>
#include <orders/platform/shutdown.hpp>

namespace orders::platform {
namespace {

// The sub-command named by the first argument, which is then removed.
const SubCommand* TakeSubCommand(const ServiceDefinition& definition, std::vector<std::string>& arguments) {
  const auto& sub_command = definition.sub_command;
  if (!sub_command || arguments.empty() || arguments.front() != sub_command->name) return nullptr;
  arguments.erase(arguments.begin());
  return &*sub_command;
}

void PrintUsage(const ConfigDefaults& defaults, const ServiceDefinition& definition) {
  std::fputs(ConfigUsage(defaults).c_str(), stdout);
  if (definition.sub_command) std::fputs(definition.sub_command->usage.c_str(), stdout);
}

void PrintProblems(const std::string& program, const std::vector<std::string>& problems) {
  std::fprintf(stderr, "%s: invalid configuration:\n", program.c_str());
  for (const auto& problem : problems) std::fprintf(stderr, "  - %s\n", problem.c_str());
}

int Serve(const ServiceConfig& config, const ServiceDefinition& definition, const StartService& start) {
  if (!config.auth.enabled) {
    LogWarn(definition.auth_off_warning, {{"auth", "off"}, {"bindAddress", config.bind_address}});
  }
  auto started = start(config);
  if (!started) {
    LogError("cannot start", {{"error", started.error().message}});
    return 1;
  }
  LogInfo("listening", {{"address", config.bind_address}, {"port", started->port}, {"topic", config.orders_topic}});
  const int signal_number = WaitForTerminationSignal();
  LogInfo("termination signal received", {{"signal", signal_number}});
  started->stop();
  LogInfo("stopped");
  return 0;
}

}  // namespace

int RunService(int argc, char** argv, const ServiceDefinition& definition, const StartService& start) {
  auto arguments = Arguments(argc, argv);
  const SubCommand* sub_command = TakeSubCommand(definition, arguments);
  if (sub_command) {
    std::signal(SIGPIPE, SIG_IGN);
  } else {
    BlockTerminationSignals();  // before any thread starts
  }
  ConfigDefaults defaults = definition.defaults;
  if (sub_command) {
    defaults.service_name = sub_command->service_name;
    defaults.serves_requests = false;
  }
  const auto loaded = LoadConfig(defaults, ProcessEnvironment(), arguments);
  if (loaded.help_requested) {
    PrintUsage(defaults, definition);
    return 0;
  }
  if (!loaded.config) {
    PrintProblems(definition.defaults.service_name, loaded.problems);
    return 2;
  }
  InitLogging(defaults.service_name, loaded.config->log_level);
  if (sub_command) return sub_command->run(*loaded.config);
  return Serve(*loaded.config, definition, start);
}

}  // namespace orders::platform

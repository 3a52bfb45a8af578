// command-service: accepts order commands over HTTP and appends their events
// to Kafka. Configuration: see orders/platform/config.hpp or --help.
#include <orders/command/service.hpp>
#include <orders/platform/process.hpp>

int main(int argc, char** argv) {
  using namespace orders;
  return platform::RunService(
      argc, argv,
      {.defaults = {"command-service", 8080, "command-service"},
       .auth_off_warning = "AUTH IS OFF (AUTH=off): anyone who can reach this port can send commands"},
      platform::StartOf<command::CommandService>());
}

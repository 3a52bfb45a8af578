// projection-service: builds the PostgreSQL read model from the order events
// and serves the query and report API. `projection-service rebuild` replays
// the topic into fresh tables and switches readers over (README "Rebuild");
// Ctrl-C or SIGTERM end a rebuild at once and PostgreSQL rolls the switch back.
// Configuration: orders/platform/config.hpp or --help.
#include <orders/platform/process.hpp>
#include <orders/projection/rebuild.hpp>
#include <orders/projection/service.hpp>

int main(int argc, char** argv) {
  using namespace orders;
  const platform::SubCommand rebuild{
      "rebuild", "projection-rebuild",
      "projection-service rebuild [--flag=value ...]: replay the topic into fresh tables, then switch\n"
      "  readers over atomically (see projection-service/README.md)\n",
      [](const platform::ServiceConfig& config) { return projection::RunRebuild(config, {}, stdout); }};
  return platform::RunService(
      argc, argv,
      {.defaults = {"projection-service", 8081, "projection"},
       .auth_off_warning = "AUTH IS OFF (AUTH=off): anyone who can reach this port can read every order",
       .sub_command = rebuild},
      platform::StartOf<projection::ProjectionService>());
}

// notifier: pushes order updates to WebSocket subscribers and serves the
// tracking page. Configuration: see orders/platform/config.hpp or --help.
#include <orders/notifier/service.hpp>
#include <orders/platform/process.hpp>

int main(int argc, char** argv) {
  using namespace orders;
  return platform::RunService(argc, argv,
                              {.defaults = {"notifier", 8082, ""},
                               .auth_off_warning = "AUTH IS OFF (AUTH=off): any client can watch every order"},
                              platform::StartOf<notifier::NotifierService>());
}

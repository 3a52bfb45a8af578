#pragma once
// What /readyz answers: ready, or why not (in words safe for clients). Each
// service's readiness function runs on a server thread and may do quick I/O.

#include <string>

namespace orders::platform {

struct Readiness {
  bool ready = false;
  std::string detail;  // why not ready; safe for clients
};

}  // namespace orders::platform

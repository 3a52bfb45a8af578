#include <orders/platform/uuid.hpp>

#include <uuid/uuid.h>

namespace orders::platform {

std::string NewUuid() {
  uuid_t raw;
  uuid_generate_random(raw);
  char text[37];
  uuid_unparse_lower(raw, text);
  return text;
}

}  // namespace orders::platform

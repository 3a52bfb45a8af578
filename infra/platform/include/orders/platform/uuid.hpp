#pragma once
// Random (v4) UUIDs in canonical lower-case form.

#include <string>

namespace orders::platform {

std::string NewUuid();

}  // namespace orders::platform

#pragma once
// Durations as operators write them in the environment: "250ms", "900s",
// "15m", "1h", "2d", or a bare number of seconds. One parser for every
// service's settings, so "5m" means the same thing everywhere.

#include <chrono>
#include <optional>
#include <string>

namespace orders::platform {

// nullopt when malformed (a unit other than ms/s/m/h/d, a sign, spaces, or more than 10^9 units).
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);

}  // namespace orders::platform

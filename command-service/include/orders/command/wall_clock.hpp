#pragma once
// The wall clock at the domain's resolution (milliseconds): event times,
// retention and checkpoint ages all read it here, and tests hand the parts
// that use it a clock of their own instead.

#include <chrono>

#include <orders/domain/order.hpp>

namespace orders::command {

inline domain::Timestamp SystemNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace orders::command

#include <orders/platform/uuid.hpp>

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace orders::platform {
namespace {

// Kernel randomness (getrandom), fetched 4 KiB at a time per thread: one
// system call per 256 UUIDs instead of one per UUID, which keeps system calls
// off the per-command path (two UUIDs per command).
class RandomBytes {
 public:
  void Take(std::uint8_t* out, std::size_t n) {
    if (used_ + n > buffer_.size()) Refill();
    for (std::size_t i = 0; i < n; ++i) out[i] = buffer_[used_ + i];
    used_ += n;
  }

 private:
  void Refill() {
    std::size_t filled = 0;
    while (filled < buffer_.size()) {
      const auto got = getrandom(buffer_.data() + filled, buffer_.size() - filled, 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("getrandom failed");
      }
      filled += static_cast<std::size_t>(got);
    }
    used_ = 0;
  }

  std::array<std::uint8_t, 4096> buffer_{};
  std::size_t used_ = buffer_.size();
};

}  // namespace

std::string NewUuid() {
  thread_local RandomBytes random;
  std::uint8_t raw[16];
  random.Take(raw, sizeof raw);
  raw[6] = static_cast<std::uint8_t>((raw[6] & 0x0f) | 0x40);  // version 4
  raw[8] = static_cast<std::uint8_t>((raw[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[raw[i] >> 4]);
    text.push_back(kHex[raw[i] & 0x0f]);
  }
  return text;
}

}  // namespace orders::platform

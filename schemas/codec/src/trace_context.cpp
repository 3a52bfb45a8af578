#include <orders/codec/trace_context.hpp>

#include <random>

namespace orders::codec {
namespace {

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

std::string RandomHex(std::size_t digits) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  while (text.empty() || AllZero(text)) {
    text.clear();
    for (std::size_t i = 0; i < digits; i += 16) {
      std::uint64_t bits = generator();
      for (std::size_t j = 0; j < 16 && i + j < digits; ++j, bits >>= 4) text.push_back(kDigits[bits & 0xf]);
    }
  }
  return text;
}

}  // namespace

std::optional<TraceParent> ParseTraceParent(std::string_view text) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55
  if (text.size() < 55 || text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  const auto version = text.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  // Version 00 has exactly these fields; a later one may add more after a '-'.
  if (version == "00" ? text.size() != 55 : (text.size() > 55 && text[55] != '-')) return std::nullopt;
  const auto trace_id = text.substr(3, 32);
  const auto parent_id = text.substr(36, 16);
  const auto flags = text.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(trace_id) || AllZero(parent_id)) return std::nullopt;
  return TraceParent{std::string(trace_id), std::string(parent_id),
                     static_cast<std::uint8_t>(std::stoi(std::string(flags), nullptr, 16))};
}

std::string FormatTraceParent(const TraceParent& trace) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = "00-" + trace.trace_id + "-" + trace.parent_id + "-";
  text.push_back(kDigits[trace.flags >> 4]);
  text.push_back(kDigits[trace.flags & 0xf]);
  return text;
}

TraceParent NewTrace() { return TraceParent{RandomHex(32), RandomHex(16), 0x01}; }

TraceParent ChildSpan(const TraceParent& parent) { return TraceParent{parent.trace_id, RandomHex(16), parent.flags}; }

}  // namespace orders::codec

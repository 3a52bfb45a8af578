// Fuzzes the notifier's RFC 6455 FrameParser (frame_codec.hpp) with arbitrary
// client bytes. The first input byte picks how the rest is cut into reads.
// Invariants: no message exceeds its limit (data: max_message; control:
// 125 bytes); text messages are valid UTF-8; an error carries one of the
// documented close codes and a short reason, and sticks; the same bytes give
// the same messages and error whether they come at once or in pieces; every
// message re-encodes (masked) to a frame that parses back to itself.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <orders/notifier/frame_codec.hpp>

#include "fuzz_check.hpp"

namespace {

using orders::notifier::FrameLimits;
using orders::notifier::FrameParser;
using orders::notifier::Opcode;
using orders::notifier::WsError;
using orders::notifier::WsMessage;

constexpr FrameLimits kLimits{1024, 2048};

struct Outcome {
  std::vector<WsMessage> messages;
  std::optional<WsError> error;
};

Outcome Parse(std::string_view bytes, std::size_t piece) {
  FrameParser parser(kLimits, /*expect_masked=*/true);
  Outcome outcome;
  for (std::size_t at = 0; at < bytes.size() && !outcome.error; at += piece) {
    outcome.error = parser.Feed(bytes.substr(at, piece), outcome.messages);
  }
  if (outcome.error) {
    std::vector<WsMessage> none;
    const auto again = parser.Feed("\x81\x80\x00\x00\x00\x00", none);
    FUZZ_CHECK(again && again->close_code == outcome.error->close_code && none.empty(), "a failed parser stays failed");
  }
  return outcome;
}

bool SameMessages(const std::vector<WsMessage>& a, const std::vector<WsMessage>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].opcode != b[i].opcode || a[i].payload != b[i].payload) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 17;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome whole = Parse(bytes, bytes.size() ? bytes.size() : 1);
  const Outcome pieces = Parse(bytes, piece);
  FUZZ_CHECK(SameMessages(whole.messages, pieces.messages), "the cut of the reads does not change the messages");
  FUZZ_CHECK(whole.error.has_value() == pieces.error.has_value(), "the cut of the reads does not change failure");
  if (whole.error) {
    FUZZ_CHECK(whole.error->close_code == pieces.error->close_code, "the cut of the reads does not change the code");
    const auto code = whole.error->close_code;
    FUZZ_CHECK(code == 1002 || code == 1007 || code == 1009, "errors use the documented close codes");
    FUZZ_CHECK(!whole.error->reason.empty() && whole.error->reason.size() <= 123, "a close reason fits a close frame");
  }

  for (const auto& message : whole.messages) {
    const bool control = (static_cast<std::uint8_t>(message.opcode) & 0x8) != 0;
    FUZZ_CHECK(message.opcode != Opcode::kContinuation, "continuations are joined into their message");
    FUZZ_CHECK(message.payload.size() <= (control ? 125 : kLimits.max_message), "no message exceeds its limit");
    if (message.opcode == Opcode::kText) FUZZ_CHECK(orders::notifier::IsValidUtf8(message.payload), "text is UTF-8");
    if (message.payload.size() > kLimits.max_frame_payload) continue;  // a joined message: not one frame
    const auto frame = orders::notifier::EncodeFrame(message.opcode, message.payload, true,
                                                     std::array<std::uint8_t, 4>{0x12, 0x34, 0x56, 0x78});
    FrameParser parser(kLimits, true);
    std::vector<WsMessage> again;
    FUZZ_CHECK(!parser.Feed(frame, again) && again.size() == 1 && again[0].payload == message.payload &&
                   again[0].opcode == message.opcode,
               "a parsed message re-encodes to a frame that parses back to it");
  }
  return 0;
}

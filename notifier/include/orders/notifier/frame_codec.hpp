#pragma once
// RFC 6455 framing, written for hostile input: a pure, incremental parser fed
// arbitrary byte chunks, and an encoder. The parser learns a frame's length
// from its header and refuses it (close 1009) before reserving a byte when it
// exceeds the limit; it never trusts a declared length for allocation.
//
// Close codes it reports: 1002 protocol error (unmasked client frame, reserved
// bits, unknown opcode, fragmented or long control frame, bad continuation),
// 1007 invalid UTF-8 in a text message or close reason, 1009 frame or message
// over the limit.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orders::notifier {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

namespace close_code {
inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;
inline constexpr std::uint16_t kProtocolError = 1002;
inline constexpr std::uint16_t kUnsupportedData = 1003;
inline constexpr std::uint16_t kInvalidPayload = 1007;
inline constexpr std::uint16_t kPolicyViolation = 1008;
inline constexpr std::uint16_t kTooBig = 1009;
inline constexpr std::uint16_t kTryAgainLater = 1013;
}  // namespace close_code

struct FrameLimits {
  std::size_t max_frame_payload = 64 * 1024;
  std::size_t max_message = 64 * 1024;  // a message reassembled from fragments
};

// A complete data message (fragments joined) or a control frame.
struct WsMessage {
  Opcode opcode = Opcode::kText;
  std::string payload;
};

struct WsError {
  std::uint16_t close_code = close_code::kProtocolError;
  std::string reason;  // short, safe to send in the close frame
};

class FrameParser {
 public:
  // Servers parse masked frames (`expect_masked` = true); clients unmasked.
  explicit FrameParser(FrameLimits limits = {}, bool expect_masked = true)
      : limits_(limits), expect_masked_(expect_masked) {}

  // Consumes `bytes`, appending every completed message to `out`. After an
  // error the parser stays failed; the caller closes with the given code.
  std::optional<WsError> Feed(std::string_view bytes, std::vector<WsMessage>& out);

  // Heap bytes held for a frame or message not complete yet; 0 between
  // messages (a finished one's storage goes out with it or is released).
  std::size_t held_bytes() const;

 private:
  std::optional<WsError> ParseHeader();
  std::optional<WsError> FinishFrame(std::vector<WsMessage>& out);

  FrameLimits limits_;
  bool expect_masked_;
  std::optional<WsError> failed_;

  // Current frame.
  std::array<std::uint8_t, 14> header_{};
  std::size_t header_size_ = 0;
  bool header_done_ = false;
  bool fin_ = false;
  Opcode opcode_ = Opcode::kText;
  std::array<std::uint8_t, 4> mask_{};
  bool masked_ = false;
  std::uint64_t payload_length_ = 0;
  std::string payload_;

  // Message being reassembled from fragments.
  bool in_message_ = false;
  Opcode message_opcode_ = Opcode::kText;
  std::string message_;
};

// Encodes one frame. With `mask` (client frames) the payload is masked.
std::string EncodeFrame(Opcode opcode, std::string_view payload, bool fin = true,
                        std::optional<std::array<std::uint8_t, 4>> mask = std::nullopt);
std::string EncodeClose(std::uint16_t code, std::string_view reason,
                        std::optional<std::array<std::uint8_t, 4>> mask = std::nullopt);

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace orders::notifier

#include <orders/notifier/frame_codec.hpp>

namespace orders::notifier {
namespace {

bool IsControl(Opcode opcode) { return (static_cast<std::uint8_t>(opcode) & 0x8) != 0; }

bool IsKnown(std::uint8_t opcode) { return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA); }

bool IsValidCloseCode(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  while (i < size) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra;
    std::uint32_t code_point;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      code_point = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      code_point = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      code_point = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      if (i + k >= size || (bytes[i + k] & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (bytes[i + k] & 0x3F);
    }
    if ((extra == 2 && code_point < 0x800) || (extra == 3 && code_point < 0x10000) || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::optional<WsError> FrameParser::ParseHeader() {
  // header_[0..header_size_) holds what arrived; returns nullopt and leaves
  // header_done_ false while more bytes are needed.
  if (header_size_ < 2) return std::nullopt;
  const std::uint8_t b0 = header_[0];
  const std::uint8_t b1 = header_[1];
  if (b0 & 0x70) return WsError{close_code::kProtocolError, "reserved bits set"};
  const std::uint8_t opcode = b0 & 0x0F;
  if (!IsKnown(opcode)) return WsError{close_code::kProtocolError, "unknown opcode"};
  masked_ = (b1 & 0x80) != 0;
  if (masked_ != expect_masked_) {
    return WsError{close_code::kProtocolError, expect_masked_ ? "client frames must be masked" : "unexpected mask"};
  }
  const std::uint8_t length7 = b1 & 0x7F;
  const std::size_t length_bytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
  const std::size_t needed = 2 + length_bytes + (masked_ ? 4 : 0);
  if (header_size_ < needed) return std::nullopt;

  std::uint64_t length = length7;
  if (length_bytes) {
    length = 0;
    for (std::size_t i = 0; i < length_bytes; ++i) length = (length << 8) | header_[2 + i];
    if (length_bytes == 8 && (length >> 63)) return WsError{close_code::kProtocolError, "invalid length"};
  }
  fin_ = (b0 & 0x80) != 0;
  opcode_ = static_cast<Opcode>(opcode);
  if (IsControl(opcode_) && (!fin_ || length > 125)) {
    return WsError{close_code::kProtocolError, "bad control frame"};
  }
  if (length > limits_.max_frame_payload) return WsError{close_code::kTooBig, "frame too large"};
  if (!IsControl(opcode_)) {
    if (opcode_ == Opcode::kContinuation && !in_message_) {
      return WsError{close_code::kProtocolError, "continuation without a message"};
    }
    if (opcode_ != Opcode::kContinuation && in_message_) {
      return WsError{close_code::kProtocolError, "new message before the last one ended"};
    }
    const std::size_t so_far = in_message_ ? message_.size() : 0;
    if (so_far + length > limits_.max_message) return WsError{close_code::kTooBig, "message too large"};
  }
  if (masked_) {
    for (std::size_t i = 0; i < 4; ++i) mask_[i] = header_[2 + length_bytes + i];
  }
  payload_length_ = length;
  payload_.clear();
  payload_.reserve(static_cast<std::size_t>(length));  // bounded by the limit checked above
  header_done_ = true;
  return std::nullopt;
}

std::optional<WsError> FrameParser::FinishFrame(std::vector<WsMessage>& out) {
  header_done_ = false;
  header_size_ = 0;
  if (IsControl(opcode_)) {
    if (opcode_ == Opcode::kClose) {
      if (payload_.size() == 1) return WsError{close_code::kProtocolError, "bad close payload"};
      if (payload_.size() >= 2) {
        const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload_[0]) << 8) |
                                                     static_cast<std::uint8_t>(payload_[1]));
        if (!IsValidCloseCode(code)) return WsError{close_code::kProtocolError, "bad close code"};
        if (!IsValidUtf8(std::string_view(payload_).substr(2))) {
          return WsError{close_code::kInvalidPayload, "invalid UTF-8"};
        }
      }
    }
    out.push_back({opcode_, std::move(payload_)});
    std::string().swap(payload_);
    return std::nullopt;
  }
  if (opcode_ != Opcode::kContinuation && fin_) {
    // A whole message in one frame (the usual case): its payload is the
    // message, handed on without a copy.
    if (opcode_ == Opcode::kText && !IsValidUtf8(payload_)) {
      return WsError{close_code::kInvalidPayload, "invalid UTF-8"};
    }
    out.push_back({opcode_, std::move(payload_)});
    std::string().swap(payload_);
    return std::nullopt;
  }
  if (opcode_ != Opcode::kContinuation) {
    in_message_ = true;
    message_opcode_ = opcode_;
    message_.clear();
  }
  message_ += payload_;
  std::string().swap(payload_);  // the next frame reserves what it declares
  if (!fin_) return std::nullopt;
  in_message_ = false;
  if (message_opcode_ == Opcode::kText && !IsValidUtf8(message_)) {
    return WsError{close_code::kInvalidPayload, "invalid UTF-8"};
  }
  out.push_back({message_opcode_, std::move(message_)});
  std::string().swap(message_);
  return std::nullopt;
}

std::size_t FrameParser::held_bytes() const {
  // A string's capacity within its own object (the small-string buffer) costs no heap.
  const std::size_t inline_capacity = std::string().capacity();
  auto heap = [inline_capacity](const std::string& text) {
    return text.capacity() > inline_capacity ? text.capacity() + 1 : 0;
  };
  return heap(payload_) + heap(message_);
}

std::optional<WsError> FrameParser::Feed(std::string_view bytes, std::vector<WsMessage>& out) {
  if (failed_) return failed_;
  std::size_t position = 0;
  while (true) {
    if (!header_done_) {
      // Take header bytes one at a time until the header is complete (at most 14).
      while (!header_done_ && position < bytes.size()) {
        header_[header_size_++] = static_cast<std::uint8_t>(bytes[position++]);
        if (auto error = ParseHeader()) return failed_ = error;
      }
      if (!header_done_) return std::nullopt;
    }
    const std::size_t wanted = static_cast<std::size_t>(payload_length_) - payload_.size();
    const std::size_t take = std::min(wanted, bytes.size() - position);
    const std::size_t offset = payload_.size();
    payload_.append(bytes.data() + position, take);
    position += take;
    if (masked_) {
      for (std::size_t i = offset; i < payload_.size(); ++i)
        payload_[i] = static_cast<char>(payload_[i] ^ mask_[i % 4]);
    }
    if (payload_.size() < payload_length_) return std::nullopt;
    if (auto error = FinishFrame(out)) return failed_ = error;
    if (position == bytes.size()) return std::nullopt;
  }
}

std::string EncodeFrame(Opcode opcode, std::string_view payload, bool fin,
                        std::optional<std::array<std::uint8_t, 4>> mask) {
  std::string frame;
  frame.reserve(payload.size() + 14);
  frame.push_back(static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode)));
  const std::uint8_t mask_bit = mask ? 0x80 : 0x00;
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>((payload.size() >> 8) & 0xFF));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame.push_back(static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xFF));
    }
  }
  if (!mask) {
    frame.append(payload);
    return frame;
  }
  for (auto byte : *mask) frame.push_back(static_cast<char>(byte));
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ (*mask)[i % 4]));
  }
  return frame;
}

std::string EncodeClose(std::uint16_t code, std::string_view reason, std::optional<std::array<std::uint8_t, 4>> mask) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, 123));
  return EncodeFrame(Opcode::kClose, payload, true, mask);
}

}  // namespace orders::notifier

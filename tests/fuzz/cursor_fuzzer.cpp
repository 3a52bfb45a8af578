// Fuzzes the projection's list cursor (cursor.hpp): DecodeCursor on the
// opaque token a client sends back, and the base64url layer under it. The
// first input byte picks what the rest is:
//   0: the cursor text as a client sends it;
//   1: the decoded body (so the fuzzer reaches "c1|millis|orderId" directly),
//      base64url-encoded before decoding;
//   2: a cursor value (8 bytes of milliseconds, 16 bytes of order id), encoded.
// Invariants: an accepted cursor has createdAt within 0..9999-12-31T23:59:59.999Z
// and a valid orderId, is at most 128 characters, and is exactly what
// EncodeCursor writes for its value ("decoding rejects anything we did not
// write"); every value in range encodes to a cursor that decodes to itself;
// base64url decoding inverts encoding and accepts one spelling per byte string.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <orders/domain/validation.hpp>
#include <orders/projection/cursor.hpp>

#include "fuzz_check.hpp"

namespace {

using orders::projection::ListCursor;

constexpr std::int64_t kMaxMillis = 253402300799999;  // 9999-12-31T23:59:59.999Z

void CheckAccepted(std::string_view text, const ListCursor& cursor) {
  const auto millis = cursor.created_at.time_since_epoch().count();
  FUZZ_CHECK(!text.empty() && text.size() <= 128, "an accepted cursor is 1-128 characters");
  FUZZ_CHECK(millis >= 0 && millis <= kMaxMillis, "an accepted cursor's createdAt is in range");
  FUZZ_CHECK(orders::domain::IsValidOrderId(cursor.order_id), "an accepted cursor's orderId is valid");
  const auto encoded = orders::projection::EncodeCursor(cursor);
  FUZZ_CHECK(encoded == text, "an accepted cursor is exactly what EncodeCursor writes for its value");
  const auto again = orders::projection::DecodeCursor(encoded);
  FUZZ_CHECK(again && *again == cursor, "a re-encoded cursor decodes to the same value");
}

void CheckBase64(std::string_view bytes) {
  const auto encoded = orders::projection::Base64UrlEncode(bytes);
  FUZZ_CHECK(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                 std::string::npos,
             "base64url text uses the url-safe alphabet, unpadded");
  const auto decoded = orders::projection::Base64UrlDecode(encoded);
  FUZZ_CHECK(decoded && *decoded == bytes, "base64url decoding inverts encoding");
}

std::string UuidOf(const std::uint8_t* bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xF]);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      if (const auto decoded = orders::projection::Base64UrlDecode(rest)) {
        FUZZ_CHECK(orders::projection::Base64UrlEncode(*decoded) == rest, "base64url has one spelling per bytes");
      }
      if (const auto cursor = orders::projection::DecodeCursor(rest)) CheckAccepted(rest, *cursor);
      break;
    }
    case 1: {
      CheckBase64(rest);
      const auto text = orders::projection::Base64UrlEncode(rest);
      if (const auto cursor = orders::projection::DecodeCursor(text)) CheckAccepted(text, *cursor);
      break;
    }
    default: {
      if (rest.size() < 24) return 0;
      std::int64_t millis = 0;
      std::memcpy(&millis, rest.data(), sizeof millis);
      const ListCursor cursor{orders::domain::Timestamp{std::chrono::milliseconds(millis)},
                              UuidOf(reinterpret_cast<const std::uint8_t*>(rest.data()) + 8)};
      const auto text = orders::projection::EncodeCursor(cursor);
      const auto decoded = orders::projection::DecodeCursor(text);
      if (millis >= 0 && millis <= kMaxMillis) {
        FUZZ_CHECK(decoded && *decoded == cursor, "a cursor in range decodes to itself");
        CheckAccepted(text, *decoded);
      } else {
        FUZZ_CHECK(!decoded, "a cursor out of range is refused");
      }
      break;
    }
  }
  return 0;
}

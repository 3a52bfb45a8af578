#pragma once
// The opaque keyset cursor of GET /orders: the (createdAt, orderId) of the
// last item of a page, newest first. Encoded as unpadded base64url text so
// clients treat it as a token; decoding rejects anything we did not write.

#include <optional>
#include <orders/platform/base64url.hpp>
#include <string>
#include <string_view>

#include <orders/domain/order.hpp>

namespace orders::projection {

struct ListCursor {
  domain::Timestamp created_at{};
  std::string order_id;

  friend bool operator==(const ListCursor&, const ListCursor&) = default;
};

std::string EncodeCursor(const ListCursor& cursor);
std::optional<ListCursor> DecodeCursor(std::string_view text);

// The cursor's text encoding (strict base64url), named here for the tests that build cursors by hand.
using platform::Base64UrlDecode;
using platform::Base64UrlEncode;

}  // namespace orders::projection

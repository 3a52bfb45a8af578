#pragma once
// The opaque keyset cursors of GET /orders (newest first) and GET
// /deliveries/open (oldest first): the (createdAt, orderId) of the last item
// of a page; and of GET /inventory: the last productId. Encoded as unpadded base64url text so clients treat it as a
// token; decoding rejects anything we did not write, and each list's cursor
// carries its own tag, so one list's cursor is refused by the other.

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

enum class CursorList { kOrders, kOpenDeliveries };

std::string EncodeCursor(const ListCursor& cursor, CursorList list = CursorList::kOrders);
std::optional<ListCursor> DecodeCursor(std::string_view text, CursorList list = CursorList::kOrders);

// GET /inventory (by productId, ascending): the productId of the last item of
// a page, with its own tag, so a cursor of another list is refused.
std::string EncodeProductCursor(std::string_view product_id);
std::optional<std::string> DecodeProductCursor(std::string_view text);

// The cursor's text encoding (strict base64url), named here for the tests that build cursors by hand.
using platform::Base64UrlDecode;
using platform::Base64UrlEncode;

}  // namespace orders::projection

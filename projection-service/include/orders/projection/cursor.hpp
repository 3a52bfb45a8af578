#pragma once
// The opaque keyset cursor of GET /orders: the (createdAt, orderId) of the
// last item of a page, newest first. Encoded as unpadded base64url text so
// clients treat it as a token; decoding rejects anything we did not write.

#include <optional>
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

std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace orders::projection

#include <orders/command/request_parser.hpp>

#include <charconv>
#include <cstdio>

#include <openssl/sha.h>
#include <orders/codec/json_read.hpp>
#include <orders/codec/order_json.hpp>

namespace orders::command {
namespace {

using codec::FieldReader;
using codec::Json;

template <class Command>
Parsed<Command> Malformed(std::string reason) {
  Parsed<Command> parsed;
  parsed.malformed = true;
  parsed.errors.push_back({"", std::move(reason)});
  return parsed;
}

}  // namespace

Parsed<domain::PlaceOrder> ParsePlaceOrder(std::string_view body) {
  auto json = codec::ParseJson(body, kMaxBodyBytes);
  if (!json) return Malformed<domain::PlaceOrder>("The body is not valid UTF-8 JSON of at most 64 KiB.");
  if (!json->is_object()) return Malformed<domain::PlaceOrder>("The body must be a JSON object.");

  FieldReader reader(*json);
  domain::PlaceOrder command;
  command.order_id = reader.String("orderId", false).value_or("");
  command.customer_id = reader.String("customerId", false).value_or("");
  command.currency = reader.String("currency", false).value_or("USD");
  if (const Json* items = reader.Array("items", true)) {
    command.items = codec::ReadLineItems(reader, *items, /*reject_unknown=*/true);
    if (items->size() > domain::kMaxItems) reader.errors().push_back({"items", "must hold 1-100 items"});
  }
  reader.RejectUnknown({"orderId", "customerId", "items", "currency"});

  Parsed<domain::PlaceOrder> parsed;
  parsed.errors = std::move(reader.errors());
  parsed.command = std::move(command);
  return parsed;
}

Parsed<domain::ChangeStatus> ParseChangeStatus(std::string_view order_id, std::string_view body) {
  auto json = codec::ParseJson(body, kMaxBodyBytes);
  if (!json) return Malformed<domain::ChangeStatus>("The body is not valid UTF-8 JSON of at most 64 KiB.");
  if (!json->is_object()) return Malformed<domain::ChangeStatus>("The body must be a JSON object.");

  FieldReader reader(*json);
  domain::ChangeStatus command;
  command.order_id = std::string(order_id);
  if (auto status_text = reader.String("status", true)) {
    if (auto status = domain::ParseStatus(*status_text)) {
      command.to = *status;
    } else {
      reader.errors().push_back({"status",
                                 "must be one of pending, confirmed, processing, shipped, "
                                 "out_for_delivery, delivered, cancelled"});
    }
  }
  command.reason = reader.String("reason", false);
  reader.RejectUnknown({"status", "reason"});

  Parsed<domain::ChangeStatus> parsed;
  parsed.errors = std::move(reader.errors());
  parsed.command = std::move(command);
  return parsed;
}

Parsed<domain::AssignCourier> ParseAssignCourier(std::string_view order_id, std::string_view body) {
  auto json = codec::ParseJson(body, kMaxBodyBytes);
  if (!json) return Malformed<domain::AssignCourier>("The body is not valid UTF-8 JSON of at most 64 KiB.");
  if (!json->is_object()) return Malformed<domain::AssignCourier>("The body must be a JSON object.");

  FieldReader reader(*json);
  domain::AssignCourier command;
  command.order_id = std::string(order_id);
  command.courier_id = reader.String("courierId", true).value_or("");
  reader.RejectUnknown({"courierId"});

  Parsed<domain::AssignCourier> parsed;
  parsed.errors = std::move(reader.errors());
  parsed.command = std::move(command);
  return parsed;
}

namespace {

// {reason?}, or nothing at all.
template <class Command>
Parsed<Command> ParseReasonOnly(std::string_view order_id, std::string_view body) {
  Parsed<Command> parsed;
  parsed.command.emplace();
  parsed.command->order_id = std::string(order_id);
  if (body.empty()) return parsed;
  auto json = codec::ParseJson(body, kMaxBodyBytes);
  if (!json) return Malformed<Command>("The body is not valid UTF-8 JSON of at most 64 KiB.");
  if (!json->is_object()) return Malformed<Command>("The body must be a JSON object.");
  FieldReader reader(*json);
  parsed.command->reason = reader.String("reason", false);
  reader.RejectUnknown({"reason"});
  parsed.errors = std::move(reader.errors());
  return parsed;
}

}  // namespace

Parsed<domain::UnassignCourier> ParseUnassignCourier(std::string_view order_id, std::string_view body) {
  return ParseReasonOnly<domain::UnassignCourier>(order_id, body);
}

Parsed<domain::DeclineDelivery> ParseDeclineDelivery(std::string_view order_id, std::string_view body) {
  return ParseReasonOnly<domain::DeclineDelivery>(order_id, body);
}

Parsed<domain::SetStock> ParseSetStock(std::string_view product_id, std::string_view body) {
  auto json = codec::ParseJson(body, kMaxBodyBytes);
  if (!json) return Malformed<domain::SetStock>("The body is not valid UTF-8 JSON of at most 64 KiB.");
  if (!json->is_object()) return Malformed<domain::SetStock>("The body must be a JSON object.");

  FieldReader reader(*json);
  domain::SetStock command;
  command.product_id = std::string(product_id);
  if (auto on_hand = reader.Integer("onHand", true)) command.on_hand = *on_hand;
  reader.RejectUnknown({"onHand"});
  // Every problem at once: the range and the product id, as Decide would say them
  // (a missing or mistyped onHand stays 0, which is in range).
  for (auto& error : domain::Validate(command)) reader.errors().push_back(std::move(error));

  Parsed<domain::SetStock> parsed;
  parsed.errors = std::move(reader.errors());
  parsed.command = std::move(command);
  return parsed;
}

std::optional<std::int64_t> ParseIfMatch(std::optional<std::string_view> header) {
  if (!header) return std::nullopt;
  std::string_view text = *header;
  if (text.substr(0, 2) == "W/") text.remove_prefix(2);
  if (text.size() < 3 || text.front() != '"' || text.back() != '"') return 0;
  text = text.substr(1, text.size() - 2);
  // Versions are written as plain digits; from_chars alone would take "-5" (found by fuzzing).
  if (text.front() < '0' || text.front() > '9') return 0;
  std::int64_t version = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (error != std::errc() || end != text.data() + text.size()) return 0;
  return version;
}

bool IsValidIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

std::string RequestHash(const domain::PlaceOrder& command) {
  const Json canonical{{"orderId", command.order_id},
                       {"customerId", command.customer_id},
                       {"items", codec::LineItemsToJson(command.items)},
                       {"currency", command.currency}};
  const std::string text = codec::DumpJson(canonical);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex(2 * SHA256_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) std::snprintf(&hex[2 * i], 3, "%02x", digest[i]);
  return hex;
}

}  // namespace orders::command

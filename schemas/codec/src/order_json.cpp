#include <orders/codec/order_json.hpp>

#include <orders/codec/time_format.hpp>

#include <orders/codec/json_text.hpp>

namespace orders::codec {

// Built member by member, not from initializer lists (which construct every
// member twice): these run for every command, event and query.
Json LineItemsToJson(const std::vector<domain::LineItem>& items) {
  Json array = Json::array();
  array.get_ref<Json::array_t&>().reserve(items.size());
  for (const auto& item : items) {
    Json line = Json::object();
    line.emplace("productId", item.product_id);
    line.emplace("quantity", item.quantity);
    line.emplace("unitPriceCents", item.unit_price_cents);
    array.push_back(std::move(line));
  }
  return array;
}

Json PaymentToJson(const domain::Payment& payment) {
  Json json = Json::object();
  json.emplace("status", domain::ToString(payment.status));
  if (!payment.payment_id.empty()) json.emplace("paymentId", payment.payment_id);
  json.emplace("amountCents", payment.amount_cents);
  return json;
}

Json OrderToJson(const domain::Order& order) {
  Json json = Json::object();
  json.emplace("orderId", order.order_id);
  json.emplace("customerId", order.customer_id);
  json.emplace("items", LineItemsToJson(order.items));
  json.emplace("currency", order.currency);
  json.emplace("totalCents", order.total_cents);
  json.emplace("status", domain::ToString(order.status));
  json.emplace("courierId", order.courier_id.empty() ? Json(nullptr) : Json(order.courier_id));
  json.emplace("version", order.version);
  json.emplace("createdAt", FormatTimestamp(order.created_at));
  json.emplace("updatedAt", FormatTimestamp(order.updated_at));
  json.emplace("payment", PaymentToJson(order.payment));
  return json;
}

namespace {

using json_text::AppendItems;
using json_text::AppendNumber;
using json_text::AppendPayment;
using json_text::AppendString;

}  // namespace

std::string OrderJsonText(const domain::Order& order) {
  std::string out;
  out.reserve(320 + 80 * order.items.size());
  out += "{\"courierId\":";
  if (order.courier_id.empty()) {
    out += "null";
  } else {
    AppendString(out, order.courier_id);
  }
  out += ",\"createdAt\":";
  AppendString(out, FormatTimestamp(order.created_at));
  out += ",\"currency\":";
  AppendString(out, order.currency);
  out += ",\"customerId\":";
  AppendString(out, order.customer_id);
  out += ",\"items\":";
  AppendItems(out, order.items);
  out += ",\"orderId\":";
  AppendString(out, order.order_id);
  out += ",\"payment\":";
  AppendPayment(out, order.payment);
  out += ",\"status\":";
  AppendString(out, domain::ToString(order.status));
  out += ",\"totalCents\":";
  AppendNumber(out, order.total_cents);
  out += ",\"updatedAt\":";
  AppendString(out, FormatTimestamp(order.updated_at));
  out += ",\"version\":";
  AppendNumber(out, order.version);
  out += '}';
  return out;
}

std::vector<domain::LineItem> ReadLineItems(FieldReader& reader, const Json& items, bool reject_unknown) {
  std::vector<domain::LineItem> result;
  const std::size_t count = std::min(items.size(), domain::kMaxItems + 1);
  result.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string prefix = "items/" + std::to_string(i);
    if (!items[i].is_object()) {
      reader.errors().push_back({prefix, "must be an object"});
      continue;
    }
    FieldReader item_reader(items[i], prefix + "/");
    domain::LineItem item;
    item.product_id = item_reader.String("productId", true).value_or("");
    item.quantity = item_reader.Integer("quantity", true).value_or(0);
    item.unit_price_cents = item_reader.Integer("unitPriceCents", true).value_or(-1);
    if (reject_unknown) item_reader.RejectUnknown({"productId", "quantity", "unitPriceCents"});
    auto& errors = item_reader.errors();
    reader.errors().insert(reader.errors().end(), errors.begin(), errors.end());
    result.push_back(std::move(item));
  }
  return result;
}

std::optional<domain::Payment> PaymentFromJson(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  FieldReader reader(json);
  const auto status = domain::ParsePaymentStatus(reader.String("status", true).value_or(""));
  domain::Payment payment;
  payment.payment_id = reader.String("paymentId", false).value_or("");
  payment.amount_cents = reader.Integer("amountCents", true).value_or(-1);
  if (!reader.errors().empty() || !status || payment.amount_cents < 0) return std::nullopt;
  payment.status = *status;
  return payment;
}

std::optional<domain::Order> OrderFromJson(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  FieldReader reader(json);
  domain::Order order;
  order.order_id = reader.String("orderId", true).value_or("");
  order.customer_id = reader.String("customerId", true).value_or("");
  order.currency = reader.String("currency", true).value_or("");
  order.total_cents = reader.Integer("totalCents", true).value_or(0);
  order.version = reader.Integer("version", true).value_or(0);
  if (auto courier = json.find("courierId"); courier != json.end() && courier->is_string()) {
    order.courier_id = courier->get<std::string>();
  }
  const auto status = domain::ParseStatus(reader.String("status", true).value_or(""));
  const auto created = ParseTimestamp(reader.String("createdAt", true).value_or(""));
  const auto updated = ParseTimestamp(reader.String("updatedAt", true).value_or(""));
  if (const Json* items = reader.Array("items", true)) order.items = ReadLineItems(reader, *items, false);
  if (!reader.errors().empty() || !status || !created || !updated) return std::nullopt;
  order.status = *status;
  order.created_at = *created;
  order.updated_at = *updated;
  // Orders written before payments existed carry none: theirs is the initial one.
  order.payment = domain::InitialPayment(order.total_cents);
  if (auto payment = json.find("payment"); payment != json.end()) {
    auto parsed = PaymentFromJson(*payment);
    if (!parsed) return std::nullopt;
    order.payment = std::move(*parsed);
  }
  return order;
}

}  // namespace orders::codec

#include <orders/codec/json_text.hpp>

#include <orders/codec/json_read.hpp>

namespace orders::codec::json_text {

void AppendString(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) {
      out += DumpJson(Json(std::string(text)));
      return;
    }
  }
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendNumber(std::string& out, std::int64_t number) { out += std::to_string(number); }

void AppendItems(std::string& out, const std::vector<domain::LineItem>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"productId\":";
    AppendString(out, items[i].product_id);
    out += ",\"quantity\":";
    AppendNumber(out, items[i].quantity);
    out += ",\"unitPriceCents\":";
    AppendNumber(out, items[i].unit_price_cents);
    out += '}';
  }
  out += ']';
}

void AppendPayment(std::string& out, const domain::Payment& payment) {
  out += "{\"amountCents\":";
  AppendNumber(out, payment.amount_cents);
  if (!payment.payment_id.empty()) {
    out += ",\"paymentId\":";
    AppendString(out, payment.payment_id);
  }
  out += ",\"status\":";
  AppendString(out, domain::ToString(payment.status));
  out += '}';
}

}  // namespace orders::codec::json_text

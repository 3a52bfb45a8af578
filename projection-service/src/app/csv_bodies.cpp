#include <orders/projection/csv_bodies.hpp>

#include <cstdio>

#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/projection/report_bodies.hpp>

namespace orders::projection {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// One media range: its type and whether its q parameter refuses it (q=0).
bool Refused(std::string_view parameters) {
  while (!parameters.empty()) {
    const auto semicolon = parameters.find(';');
    const auto parameter = Trim(parameters.substr(0, semicolon));
    if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=') {
      const auto value = parameter.substr(2);
      return value.find_first_not_of("0.") == std::string_view::npos;
    }
    parameters = semicolon == std::string_view::npos ? std::string_view() : parameters.substr(semicolon + 1);
  }
  return false;
}

std::string Line(std::initializer_list<std::string> fields) {
  std::string line;
  bool first = true;
  for (const auto& field : fields) {
    if (!first) line += ',';
    first = false;
    line += CsvField(field);
  }
  return line + "\r\n";
}

std::string Minutes(const std::optional<double>& minutes) {
  if (!minutes) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", *minutes);
  return buffer;
}

}  // namespace

std::optional<BodyFormat> NegotiateFormat(std::string_view accept) {
  if (Trim(accept).empty()) return BodyFormat::kJson;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    const auto range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const auto semicolon = range.find(';');
    const auto type = Trim(range.substr(0, semicolon));
    if (semicolon != std::string_view::npos && Refused(range.substr(semicolon + 1))) continue;
    if (EqualsIgnoringCase(type, "application/json") || EqualsIgnoringCase(type, "application/*") || type == "*/*") {
      return BodyFormat::kJson;
    }
    if (EqualsIgnoringCase(type, "text/csv") || EqualsIgnoringCase(type, "text/*")) return BodyFormat::kCsv;
  }
  return std::nullopt;
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string OrdersCsvHeader() {
  return Line({"orderId", "customerId", "status", "currency", "totalCents", "courierId", "paymentStatus", "version",
               "createdAt", "updatedAt", "items"});
}

std::string OrdersCsvRows(const std::vector<domain::Order>& orders) {
  std::string rows;
  for (const auto& order : orders) {
    rows +=
        Line({order.order_id, order.customer_id, std::string(domain::ToString(order.status)), order.currency,
              std::to_string(order.total_cents), order.courier_id, std::string(domain::ToString(order.payment.status)),
              std::to_string(order.version), codec::FormatTimestamp(order.created_at),
              codec::FormatTimestamp(order.updated_at), codec::LineItemsToJson(order.items).dump()});
  }
  return rows;
}

std::string OrdersCsv(const OrderPage& page) { return OrdersCsvHeader() + OrdersCsvRows(page.items); }

std::string InventoryCsvHeader() {
  return Line({"productId", "onHand", "reserved", "available", "version", "updatedAt"});
}

std::string InventoryCsvRows(const std::vector<StockLevel>& levels) {
  std::string rows;
  for (const auto& level : levels) {
    rows += Line({level.product_id, std::to_string(level.on_hand), std::to_string(level.reserved),
                  std::to_string(level.available), std::to_string(level.version),
                  codec::FormatTimestamp(level.updated_at)});
  }
  return rows;
}

std::string InventoryCsv(const InventoryPage& page) { return InventoryCsvHeader() + InventoryCsvRows(page.items); }

std::string StatusCountsCsv(const std::map<domain::Status, std::int64_t>& counts) {
  std::string body = Line({"status", "orders"});
  for (const auto& [status, count] : counts)
    body += Line({std::string(domain::ToString(status)), std::to_string(count)});
  return body;
}

std::string DailyCsv(const std::vector<DailyRow>& days) {
  // One row per day and currency delivered in; a day without deliveries has one row, without currency.
  std::string body = Line({"date", "placed", "delivered", "cancelled", "currency", "revenueCents"});
  for (const auto& day : days) {
    const auto counts = {FormatDate(day.day), std::to_string(day.placed), std::to_string(day.delivered),
                         std::to_string(day.cancelled)};
    std::vector<std::pair<std::string, std::string>> revenue(day.revenue_cents.begin(), day.revenue_cents.end());
    if (revenue.empty()) revenue.emplace_back("", "");
    for (const auto& [currency, cents] : revenue) {
      std::string line;
      for (const auto& field : counts) line += CsvField(field) + ",";
      body += line + CsvField(currency) + "," + CsvField(cents) + "\r\n";
    }
  }
  return body;
}

std::string ProductsCsv(const ProductReport& report) {
  // Both rankings in one table: `ranking` says which; revenue is per currency, units are not.
  std::string body = Line({"ranking", "currency", "rank", "productId", "quantity", "revenueCents"});
  for (std::size_t i = 0; i < report.by_quantity.size(); ++i) {
    const auto& product = report.by_quantity[i];
    body += Line({"quantity", "", std::to_string(i + 1), product.product_id, std::to_string(product.quantity), ""});
  }
  for (const auto& [currency, products] : report.by_revenue) {
    for (std::size_t i = 0; i < products.size(); ++i) {
      body += Line({"revenue", currency, std::to_string(i + 1), products[i].product_id,
                    std::to_string(products[i].quantity), products[i].revenue_cents});
    }
  }
  return body;
}

std::string CouriersCsv(const std::vector<CourierReportRow>& couriers) {
  std::string body = Line({"courierId", "deliveries", "medianMinutesToDeliver", "p90MinutesToDeliver"});
  for (const auto& courier : couriers) {
    body += Line({courier.courier_id, std::to_string(courier.deliveries),
                  Minutes(RoundedQuantile(courier.minutes, 0.5)), Minutes(RoundedQuantile(courier.minutes, 0.9))});
  }
  return body;
}

std::string FunnelCsv(const FunnelReport& report) {
  // One row per step; cancellations one per reason. medianMinutes: since the step before.
  std::string body = Line({"step", "reason", "orders", "medianMinutes"});
  body += Line({"placed", "", std::to_string(report.placed), ""});
  body += Line(
      {"confirmed", "", std::to_string(report.confirmed), Minutes(RoundedQuantile(report.placed_to_confirmed, 0.5))});
  body += Line({"delivered", "", std::to_string(report.delivered),
                Minutes(RoundedQuantile(report.confirmed_to_delivered, 0.5))});
  for (const auto& [reason, orders] : report.cancelled_by_reason) {
    body += Line({"cancelled", reason, std::to_string(orders), ""});
  }
  return body;
}

}  // namespace orders::projection

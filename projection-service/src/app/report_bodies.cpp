#include <orders/projection/report_bodies.hpp>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>
#include <orders/domain/validation.hpp>

namespace orders::projection {
namespace {

bool IsDecimal(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string MinutesOrNull(const MinuteHistogram& histogram) {
  const auto minutes = RoundedQuantile(histogram, 0.5);
  return minutes ? nlohmann::json(*minutes).dump() : "null";
}

std::string RangeFields(const DailyQuery& range) {
  return "\"from\":" + Quoted(FormatDate(range.from)) + ",\"to\":" + Quoted(FormatDate(range.to));
}

}  // namespace

std::optional<double> RoundedQuantile(const MinuteHistogram& histogram, double q) {
  const auto minutes = QuantileMinutes(histogram, q);
  if (!minutes) return std::nullopt;
  return std::round(*minutes * 10) / 10;
}

std::string ProductReportJson(const ProductsQuery& query, const ProductReport& report) {
  std::string body = "{" + RangeFields(query.range) + ",\"byQuantity\":[";
  for (std::size_t i = 0; i < report.by_quantity.size(); ++i) {
    const auto& product = report.by_quantity[i];
    if (i > 0) body += ',';
    body += "{\"productId\":" + Quoted(product.product_id) + ",\"quantity\":" + std::to_string(product.quantity) + "}";
  }
  body += "],\"byRevenue\":{";
  bool first_currency = true;
  for (const auto& [currency, products] : report.by_revenue) {
    // Both come from validated events; anything else would not be JSON-safe, so it is left out.
    if (!domain::IsValidCurrency(currency)) continue;
    if (!first_currency) body += ',';
    first_currency = false;
    body += Quoted(currency) + ":[";
    bool first = true;
    for (const auto& product : products) {
      if (!IsDecimal(product.revenue_cents)) continue;
      if (!first) body += ',';
      first = false;
      body += "{\"productId\":" + Quoted(product.product_id) + ",\"revenueCents\":" + product.revenue_cents +
              ",\"quantity\":" + std::to_string(product.quantity) + "}";
    }
    body += "]";
  }
  return body + "}}";
}

std::string FunnelReportJson(const DailyQuery& query, const FunnelReport& report) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& [reason, orders] : report.cancelled_by_reason) {
    reasons.push_back({{"reason", reason}, {"orders", orders}});
  }
  return "{" + RangeFields(query) + ",\"placed\":" + std::to_string(report.placed) +
         ",\"confirmed\":" + std::to_string(report.confirmed) + ",\"delivered\":" + std::to_string(report.delivered) +
         ",\"cancelled\":" + std::to_string(report.cancelled) + ",\"cancelledByReason\":" + reasons.dump() +
         ",\"medianMinutes\":{\"placedToConfirmed\":" + MinutesOrNull(report.placed_to_confirmed) +
         ",\"confirmedToDelivered\":" + MinutesOrNull(report.confirmed_to_delivered) + "}}";
}

}  // namespace orders::projection

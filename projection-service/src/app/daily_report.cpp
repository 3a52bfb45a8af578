#include <orders/projection/daily_report.hpp>

#include <algorithm>

#include <orders/domain/validation.hpp>

namespace orders::projection {
namespace {

bool IsDecimal(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string DailyReportJson(const std::vector<DailyRow>& days) {
  std::string body = R"({"days":[)";
  for (std::size_t i = 0; i < days.size(); ++i) {
    const DailyRow& day = days[i];
    if (i > 0) body += ',';
    body += R"({"date":")" + FormatDate(day.day) + R"(","placed":)" + std::to_string(day.placed) + R"(,"delivered":)" +
            std::to_string(day.delivered) + R"(,"cancelled":)" + std::to_string(day.cancelled) + R"(,"revenue":{)";
    bool first = true;
    for (const auto& [currency, cents] : day.revenue_cents) {
      // Both come from validated events; anything else would not be JSON-safe, so it is left out.
      if (!domain::IsValidCurrency(currency) || !IsDecimal(cents)) continue;
      if (!first) body += ',';
      first = false;
      body += '"' + currency + "\":" + cents;
    }
    body += "}}";
  }
  body += "]}";
  return body;
}

}  // namespace orders::projection

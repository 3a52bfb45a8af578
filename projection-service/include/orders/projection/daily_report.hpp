#pragma once
// The body of GET /reports/daily:
//   {"days":[{"date":"2026-12-04","placed":3,"delivered":1,"cancelled":0,"revenue":{"EUR":500,"USD":1250}}]}
// `revenue` holds one integer number of cents per currency (never summed
// across currencies; {} on a day without deliveries). Totals are written
// digit for digit: a day's total may exceed 64 bits, which a JSON library's
// integer types cannot carry.

#include <string>
#include <vector>

#include <orders/projection/read_model_reader.hpp>

namespace orders::projection {

std::string DailyReportJson(const std::vector<DailyRow>& days);

}  // namespace orders::projection

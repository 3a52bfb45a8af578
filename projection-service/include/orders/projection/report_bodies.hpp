#pragma once
// The bodies of GET /reports/products and GET /reports/funnel. Revenue totals
// are written digit for digit, like the daily report's (a range's total may
// exceed 64 bits); minutes to one decimal, null when there is nothing to
// measure.
//
// products: {"from": "2026-11-01", "to": "2026-11-30",
//            "byQuantity": [{"productId": "sku-1", "quantity": 40}],
//            "byRevenue": {"USD": [{"productId": "sku-2", "revenueCents": 120000, "quantity": 3}]}}
// funnel:   {"from", "to", "placed", "confirmed", "delivered", "cancelled",
//            "cancelledByReason": [{"reason": "payment_declined", "orders": 2}],
//            "medianMinutes": {"placedToConfirmed": 1.2, "confirmedToDelivered": 48.5}}

#include <optional>
#include <string>

#include <orders/projection/query_params.hpp>
#include <orders/projection/read_model_reader.hpp>

namespace orders::projection {

std::string ProductReportJson(const ProductsQuery& query, const ProductReport& report);
std::string FunnelReportJson(const DailyQuery& query, const FunnelReport& report);

// A quantile of a histogram, rounded to a tenth of a minute; nullopt when empty.
std::optional<double> RoundedQuantile(const MinuteHistogram& histogram, double q);

}  // namespace orders::projection

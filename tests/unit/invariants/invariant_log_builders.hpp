#pragma once
// Hand-built logs for the stock and workflow rules: inventory events of one
// product (kProduct unless given) and order payment events, each with a
// default for every field but the ones a test is about, and the records
// they become. Times are milliseconds after kT0 (testing::At()).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <orders/domain/events.hpp>
#include <orders/domain/inventory.hpp>
#include <orders/invariants/checker.hpp>
#include <orders/invariants/stock_rules.hpp>
#include <orders/testing/builders.hpp>

namespace orders::invariants::test_logs {

inline constexpr const char* kProduct = "sku-1";
inline constexpr std::int64_t kT0 = 1764000000000;

inline domain::Timestamp After(std::int64_t ms) { return testing::At(kT0 + ms); }

inline domain::StockSet Set(std::int64_t version, std::int64_t on_hand, std::string product = kProduct) {
  return {std::move(product), version, After(version), on_hand};
}
inline domain::StockReserved Reserved(std::int64_t version, std::string order, std::int64_t quantity,
                                      std::string product = kProduct) {
  return {std::move(product), version, After(version), std::move(order), quantity};
}
inline domain::ReservationRefused Refused(std::int64_t version, std::string order, std::int64_t quantity,
                                          std::int64_t available, std::string product = kProduct) {
  return {std::move(product), version, After(version), std::move(order), quantity, available};
}
inline domain::StockReleased Released(std::int64_t version, std::string order, std::int64_t quantity,
                                      std::string product = kProduct) {
  return {std::move(product), version, After(version), std::move(order), quantity};
}
inline domain::StockCommitted Committed(std::int64_t version, std::string order, std::int64_t quantity,
                                        std::string product = kProduct) {
  return {std::move(product), version, After(version), std::move(order), quantity};
}

inline std::vector<StockRecord> StockLog(const std::vector<domain::StockEvent>& events) {
  std::vector<StockRecord> log;
  for (const auto& event : events) log.push_back({0, static_cast<std::int64_t>(log.size()), event, {}});
  return log;
}

// -- Orders: placed at `placed_ms` after kT0, for 3000 cents unless told.

inline domain::OrderPlaced PlacedAt(std::int64_t placed_ms, std::string order = testing::kOrderId,
                                    std::int64_t total_cents = 3000) {
  auto placed = testing::Placed(std::move(order), After(placed_ms));
  if (total_cents == 0) {
    for (auto& item : placed.items) item.unit_price_cents = 0;
  }
  placed.total_cents = total_cents;
  return placed;
}
inline domain::StatusChanged Moved(std::int64_t version, domain::Status from, domain::Status to, std::int64_t at_ms,
                                   std::optional<std::string> reason = std::nullopt,
                                   std::string order = testing::kOrderId) {
  return {std::move(order), version, After(at_ms), from, to, std::move(reason)};
}
inline domain::PaymentAuthorized Authorized(std::int64_t version, std::int64_t at_ms,
                                            std::string order = testing::kOrderId) {
  return {std::move(order), version, After(at_ms), "pay-1", 3000};
}
inline domain::PaymentDeclined PaymentDeclinedAt(std::int64_t version, std::int64_t at_ms,
                                                 std::string order = testing::kOrderId) {
  return {std::move(order), version, After(at_ms), "limit"};
}
inline domain::PaymentRefunded Refunded(std::int64_t version, std::int64_t at_ms,
                                        std::string order = testing::kOrderId) {
  return {std::move(order), version, After(at_ms), "pay-1", 3000};
}

// One orders-log record with the actor header it was written with.
struct Written {
  domain::Event event;
  std::optional<std::string> actor = std::nullopt;  // none: an unattributed log (AUTH=off)
};

inline std::vector<LogRecord> OrdersLog(const std::vector<Written>& records) {
  std::vector<LogRecord> log;
  for (const auto& record : records) {
    log.push_back({0, static_cast<std::int64_t>(log.size()), record.event, {}, record.actor});
  }
  return log;
}

inline bool Mentions(const Report& report, const std::string& text) {
  for (const auto& violation : report.violations) {
    if (violation.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace orders::invariants::test_logs

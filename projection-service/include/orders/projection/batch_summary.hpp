#pragma once
// A batch's share of the report summaries (schemas/sql/006_report_summaries.sql),
// added up in memory from the history rows the fold produced. The batch then
// sends PostgreSQL a few summary rows (one per day and currency, product,
// courier, ...) instead of every history row a second time. Pure: what the
// summaries need of orders stored before the batch is handed in as
// StoredOrderFacts, which the store loads.
//
// The rules are those of the statement that summarises a whole stored history
// (src/pg/summary_statements.cpp): the tests that replay logs compare the two.
//   - status counts: +1 for the status an event moved the order to, -1 for the one it left;
//   - per day and currency: placements (version 1), and status changes to
//     confirmed, delivered (with the order's total as revenue) and cancelled;
//   - per day, product and currency: the items of the orders delivered that day;
//   - per day and courier: deliveries made while the courier was assigned (the
//     last assignment or release before the delivery was an assignment), with
//     the minutes since that assignment;
//   - per day and reason: cancellations ('' when none was given);
//   - per day and step: minutes from placement to each confirmation, and from
//     the order's first confirmation to its delivery.
// Days are UTC days of the event counted; the history rows in `skip` (already
// stored: the tolerant rewrite) count nothing, but still tell what came before.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/minute_histogram.hpp>

namespace orders::projection {

using HistoryKey = std::pair<std::string, std::int64_t>;  // (order id, version)

// Days since 1970-01-01, the UTC day of a time (negative before 1970).
using Day = std::int64_t;
Day DayOf(domain::Timestamp at);

// The histogram bucket of a duration in minutes (negative ones count as 0):
// the bucket whose lower bound is the largest not above it (kMinuteBuckets).
std::size_t MinuteBucketOf(double minutes);

// Minutes from `from` to `to`, computed as PostgreSQL computes
// extract(epoch FROM to - from)::float8 / 60, so both land in one bucket.
double MinutesBetween(domain::Timestamp from, domain::Timestamp to);

// The last courier event (assignment or release) of an order.
struct CourierEvent {
  bool assigned = false;
  std::string courier_id;
  domain::Timestamp at{};
};

// What an order's history so far tells its later rows: when it was first
// confirmed (confirmed -> delivered) and its last courier event (who holds it).
struct HistoryFacts {
  std::optional<domain::Timestamp> first_confirmed_at;
  std::optional<CourierEvent> last_courier_event;
};
// Moves the facts past one more history row of the order.
void Advance(HistoryFacts& facts, const HistoryRow& row);

// What the summaries need of an order stored before the batch: its immutable
// columns, and what its stored history before the batch's first row of it says.
struct StoredOrderFacts {
  std::string currency;
  std::int64_t total_cents = 0;
  std::vector<domain::LineItem> items;
  domain::Timestamp created_at{};
  HistoryFacts history;
};
using OrderFacts = std::map<std::string, StoredOrderFacts, std::less<>>;  // by order id; found by a view too

// The facts of every order the batch changed and leaves open, as they stand
// after it: from the batch's own write (a new order) or `before` (what was
// known or loaded of a stored one), moved past the batch's rows. Orders whose
// facts are unknown are left out.
OrderFacts FactsAfter(const BatchWrites& writes, const OrderFacts& before);

// Exact sums (a day's revenue may pass 64 bits); SummariseBatch throws
// std::overflow_error past 127.
__extension__ typedef __int128 WideSum;
std::string DecimalText(WideSum value);

struct DailyDelta {
  std::int64_t placed = 0;
  std::int64_t confirmed = 0;
  std::int64_t delivered = 0;
  std::int64_t cancelled = 0;
  WideSum revenue_cents = 0;
};

struct ProductDelta {
  WideSum quantity = 0;
  WideSum revenue_cents = 0;
};

struct CourierDelta {
  std::int64_t deliveries = 0;
  MinuteHistogram minutes;
};

struct SummaryDeltas {
  std::map<std::string, std::int64_t> status_counts;                           // status -> change (non-zero only)
  std::map<std::pair<Day, std::string>, DailyDelta> daily;                     // (day, currency)
  std::map<std::tuple<Day, std::string, std::string>, ProductDelta> products;  // (day, product, currency)
  std::map<std::pair<Day, std::string>, CourierDelta> couriers;                // (day, courier)
  std::map<std::pair<Day, std::string>, std::int64_t> cancellations;           // (day, reason)
  std::map<std::pair<Day, std::string>, MinuteHistogram> steps;                // (day, step)

  bool Empty() const {
    return status_counts.empty() && daily.empty() && products.empty() && couriers.empty() && cancellations.empty() &&
           steps.empty();
  }
};

// The orders the batch did not write whole whose facts its summary needs
// (their rows count a placement or a move to confirmed, delivered or
// cancelled), each with the version of its first history row in the batch: the
// facts describe the stored history before it. All of them are loaded, the
// history's too, because the writer keeps what it loads (FactsAfter).
std::map<std::string, std::int64_t> FactsNeeded(const BatchWrites& writes, const std::set<HistoryKey>& skip = {});

// How the store keeps a text (PostgreSQL text cannot hold NUL): applied to
// every text the summaries are keyed by, so that keys equal once stored are
// added up as one row, as the stored history would group them.
using StoredTextFn = std::string (*)(std::string_view);

// The summary rows the batch adds. An order missing from `stored` that the
// batch did not write whole counts only in the status counts and cancellations.
SummaryDeltas SummariseBatch(const BatchWrites& writes, const OrderFacts& stored, const std::set<HistoryKey>& skip,
                             StoredTextFn stored_text);

}  // namespace orders::projection

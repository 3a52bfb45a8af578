#include <orders/projection/batch_summary.hpp>

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/event_topics.hpp>
#include <orders/domain/status.hpp>

namespace orders::projection {
namespace {

constexpr std::int64_t kMillisecondsPerDay = 86'400'000;

WideSum Add(WideSum sum, WideSum more) {
  WideSum result = 0;
  if (__builtin_add_overflow(sum, more, &result)) throw std::overflow_error("a report summary exceeds 127 bits");
  return result;
}

void AddDuration(MinuteHistogram& histogram, double minutes) {
  if (histogram.empty()) histogram.assign(kMinuteBuckets.size(), 0);
  ++histogram[MinuteBucketOf(minutes)];
}

// Whether a row is one of those to leave out; most batches leave out none, and a lookup would copy the id.
bool Skipped(const std::set<HistoryKey>& skip, const HistoryRow& row) {
  return !skip.empty() && skip.count({row.order_id, row.version}) > 0;
}

// The history rows of one order in the batch, in version order.
using OrderRows = std::vector<const HistoryRow*>;

std::unordered_map<std::string_view, OrderRows> RowsByOrder(const BatchWrites& writes) {
  std::unordered_map<std::string_view, OrderRows> by_order;
  by_order.reserve(writes.upserts.size());
  for (const auto& row : writes.history) by_order[row.order_id].push_back(&row);
  for (auto& [id, rows] : by_order) {
    std::sort(rows.begin(), rows.end(),
              [](const HistoryRow* a, const HistoryRow* b) { return a->version < b->version; });
  }
  return by_order;
}

// What a row needs of its order beyond the row itself.
bool UsesItsOrder(const HistoryRow& row, std::string_view status_changed) {
  const bool moved = row.event == status_changed;
  return row.version == 1 ||
         (moved && (row.status == domain::Status::kConfirmed || row.status == domain::Status::kDelivered ||
                    row.status == domain::Status::kCancelled));
}

// One order's columns as the summaries read them, from the batch's own write or the store.
struct OrderColumns {
  const std::string* currency = nullptr;
  std::int64_t total_cents = 0;
  const std::vector<domain::LineItem>* items = nullptr;
  domain::Timestamp created_at{};
};

class Summariser {
 public:
  Summariser(const std::set<HistoryKey>& skip, StoredTextFn stored_text) : skip_(skip), stored_text_(stored_text) {}

  // One order's rows, in version order; `columns` is null when its facts are unknown.
  void Order(const OrderRows& rows, const OrderColumns* columns, HistoryFacts history) {
    const std::string currency = columns ? stored_text_(*columns->currency) : std::string();  // once per order
    for (const HistoryRow* row : rows) {
      if (!Skipped(skip_, *row)) Count(*row, columns, currency, history);
      Advance(history, *row);  // what came before the order's later rows, whether or not this one counts
    }
  }

  SummaryDeltas Result() {
    for (auto it = deltas_.status_counts.begin(); it != deltas_.status_counts.end();) {
      it = it->second == 0 ? deltas_.status_counts.erase(it) : std::next(it);
    }
    return std::move(deltas_);
  }

 private:
  void Count(const HistoryRow& row, const OrderColumns* columns, const std::string& currency,
             const HistoryFacts& history) {
    if (row.status_before != row.status) ++deltas_.status_counts[std::string(domain::ToString(row.status))];
    if (row.status_before && *row.status_before != row.status) {
      --deltas_.status_counts[std::string(domain::ToString(*row.status_before))];
    }
    const Day day = DayOf(row.at);
    const bool moved = row.event == status_changed_;
    if (moved && row.status == domain::Status::kCancelled) {
      ++deltas_.cancellations[{day, stored_text_(row.reason.value_or(""))}];
    }
    if (!columns) return;
    if (row.version == 1) ++deltas_.daily[{day, currency}].placed;
    if (!moved) return;
    switch (row.status) {
      case domain::Status::kConfirmed:
        ++deltas_.daily[{day, currency}].confirmed;
        AddDuration(deltas_.steps[{day, "placed_to_confirmed"}], MinutesBetween(columns->created_at, row.at));
        break;
      case domain::Status::kCancelled:
        ++deltas_.daily[{day, currency}].cancelled;
        break;
      case domain::Status::kDelivered:
        Delivered(row, day, currency, *columns, history);
        break;
      default:
        break;
    }
  }

  void Delivered(const HistoryRow& row, Day day, const std::string& currency, const OrderColumns& columns,
                 const HistoryFacts& history) {
    const auto& last_courier = history.last_courier_event;
    auto& daily = deltas_.daily[{day, currency}];
    ++daily.delivered;
    daily.revenue_cents = Add(daily.revenue_cents, columns.total_cents);
    for (const auto& item : *columns.items) {
      auto& product = deltas_.products[{day, stored_text_(item.product_id), currency}];
      product.quantity = Add(product.quantity, item.quantity);
      product.revenue_cents =
          Add(product.revenue_cents, static_cast<WideSum>(item.quantity) * static_cast<WideSum>(item.unit_price_cents));
    }
    if (last_courier && last_courier->assigned) {
      auto& courier = deltas_.couriers[{day, stored_text_(last_courier->courier_id)}];
      ++courier.deliveries;
      AddDuration(courier.minutes, MinutesBetween(last_courier->at, row.at));
    }
    if (history.first_confirmed_at) {
      AddDuration(deltas_.steps[{day, "confirmed_to_delivered"}], MinutesBetween(*history.first_confirmed_at, row.at));
    }
  }

  const std::set<HistoryKey>& skip_;
  StoredTextFn stored_text_;
  const std::string_view status_changed_ = codec::EventNameOfType(codec::kStatusChangedType);
  SummaryDeltas deltas_;
};

std::unordered_map<std::string_view, const domain::Order*> WrittenWhole(const BatchWrites& writes) {
  std::unordered_map<std::string_view, const domain::Order*> written_whole;
  written_whole.reserve(writes.upserts.size());
  for (std::size_t i = 0; i < writes.upserts.size(); ++i) {
    if (!writes.stored_before[i]) written_whole.emplace(writes.upserts[i].order_id, &writes.upserts[i]);
  }
  return written_whole;
}

}  // namespace

void Advance(HistoryFacts& facts, const HistoryRow& row) {
  static const std::string_view status_changed = codec::EventNameOfType(codec::kStatusChangedType);
  static const std::string_view assigned = codec::EventNameOfType(codec::kCourierAssignedType);
  static const std::string_view unassigned = codec::EventNameOfType(codec::kCourierUnassignedType);
  if (row.event == status_changed && row.status == domain::Status::kConfirmed && !facts.first_confirmed_at) {
    facts.first_confirmed_at = row.at;
  }
  if (row.event == assigned || row.event == unassigned) {
    facts.last_courier_event = CourierEvent{row.event == assigned, row.courier_id.value_or(""), row.at};
  }
}

OrderFacts FactsAfter(const BatchWrites& writes, const OrderFacts& before) {
  OrderFacts after;
  for (std::size_t i = 0; i < writes.upserts.size(); ++i) {
    const domain::Order& order = writes.upserts[i];
    if (domain::IsTerminal(order.status)) continue;
    if (!writes.stored_before[i]) {
      after.emplace(order.order_id,
                    StoredOrderFacts{order.currency, order.total_cents, order.items, order.created_at, {}});
    } else if (const auto known = before.find(order.order_id); known != before.end()) {
      after.emplace(order.order_id, known->second);
    }
  }
  for (const auto& [order_id, rows] : RowsByOrder(writes)) {
    const auto facts = after.find(order_id);
    if (facts == after.end()) continue;
    for (const HistoryRow* row : rows) Advance(facts->second.history, *row);
  }
  return after;
}

Day DayOf(domain::Timestamp at) {
  const std::int64_t ms = at.time_since_epoch().count();
  return ms >= 0 ? ms / kMillisecondsPerDay : -((-ms + kMillisecondsPerDay - 1) / kMillisecondsPerDay);
}

std::size_t MinuteBucketOf(double minutes) {
  const double at_least_zero = std::max(minutes, 0.0);
  const auto above = std::upper_bound(kMinuteBuckets.begin(), kMinuteBuckets.end(), at_least_zero,
                                      [](double value, int bound) { return value < bound; });
  return static_cast<std::size_t>(above - kMinuteBuckets.begin()) - 1;  // bound 0 is never above
}

double MinutesBetween(domain::Timestamp from, domain::Timestamp to) {
  // The difference in seconds, rounded once to a double (PostgreSQL's exact numeric, cast), then / 60.
  const auto milliseconds = static_cast<double>((to - from).count());
  return milliseconds / 1000.0 / 60.0;
}

std::string DecimalText(WideSum value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    const auto digit = static_cast<int>(value % 10);
    digits.push_back(static_cast<char>('0' + (negative ? -digit : digit)));
    value /= 10;
  }
  if (negative) digits.push_back('-');
  return std::string(digits.rbegin(), digits.rend());
}

std::map<std::string, std::int64_t> FactsNeeded(const BatchWrites& writes, const std::set<HistoryKey>& skip) {
  const auto written_whole = WrittenWhole(writes);
  const std::string_view status_changed = codec::EventNameOfType(codec::kStatusChangedType);
  std::unordered_map<std::string_view, std::int64_t> first_versions;
  first_versions.reserve(writes.upserts.size());
  for (const auto& row : writes.history) {
    auto [first, inserted] = first_versions.emplace(row.order_id, row.version);
    if (!inserted) first->second = std::min(first->second, row.version);
  }
  std::map<std::string, std::int64_t> wanted;
  for (const auto& row : writes.history) {
    if (written_whole.count(row.order_id) || Skipped(skip, row)) continue;
    if (UsesItsOrder(row, status_changed)) wanted.emplace(row.order_id, first_versions.at(row.order_id));
  }
  return wanted;
}

SummaryDeltas SummariseBatch(const BatchWrites& writes, const OrderFacts& stored, const std::set<HistoryKey>& skip,
                             StoredTextFn stored_text) {
  const auto written_whole = WrittenWhole(writes);
  Summariser summariser(skip, stored_text);
  for (const auto& [order_id, rows] : RowsByOrder(writes)) {
    if (const auto whole = written_whole.find(order_id); whole != written_whole.end()) {
      // A new order: its whole history is in the batch.
      const domain::Order& order = *whole->second;
      const OrderColumns columns{&order.currency, order.total_cents, &order.items, order.created_at};
      summariser.Order(rows, &columns, {});
    } else if (const auto facts = stored.find(order_id); facts != stored.end()) {
      const StoredOrderFacts& known = facts->second;
      const OrderColumns columns{&known.currency, known.total_cents, &known.items, known.created_at};
      summariser.Order(rows, &columns, known.history);
    } else {
      summariser.Order(rows, nullptr, {});
    }
  }
  return summariser.Result();
}

}  // namespace orders::projection

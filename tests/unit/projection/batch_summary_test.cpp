#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <orders/projection/batch_summary.hpp>

namespace orders::projection {
namespace {

using domain::Status;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

const domain::Timestamp kDay0 = std::chrono::sys_days{std::chrono::year{2026} / 12 / 4};
const Day kDay0Number = DayOf(kDay0);

std::string Identity(std::string_view text) { return std::string(text); }
// As the store keeps texts: NUL cannot be stored.
std::string NoNul(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '\0' ? std::string("\xEF\xBF\xBD") : std::string(1, c);
  return out;
}

HistoryRow Row(const std::string& order_id, std::int64_t version, std::string event, Status status,
               std::optional<Status> before, domain::Timestamp at) {
  HistoryRow row;
  row.order_id = order_id;
  row.version = version;
  row.event = std::move(event);
  row.status = status;
  row.status_before = before;
  row.at = at;
  return row;
}

HistoryRow Placed(const std::string& id, domain::Timestamp at) {
  return Row(id, 1, "order.placed", Status::kPending, std::nullopt, at);
}
HistoryRow Moved(const std::string& id, std::int64_t version, Status from, Status to, domain::Timestamp at) {
  return Row(id, version, "order.status_changed", to, from, at);
}
HistoryRow Courier(const std::string& id, std::int64_t version, bool assigned, const std::string& courier,
                   Status status, domain::Timestamp at) {
  auto row = Row(id, version, assigned ? "order.courier_assigned" : "order.courier_unassigned", status, status, at);
  row.courier_id = courier;
  return row;
}

domain::Order NewOrder(const std::string& id) {
  domain::Order order;
  order.order_id = id;
  order.currency = "EUR";
  order.items = {{"p-1", 2, 150}, {"p-2", 1, 1000}};
  order.total_cents = 1300;
  order.created_at = kDay0 + hours(8);
  return order;
}

void WrittenWhole(BatchWrites& writes, domain::Order order) {
  writes.upserts.push_back(std::move(order));
  writes.stored_before.push_back(false);
}

MinuteHistogram OneIn(std::size_t bucket) {
  MinuteHistogram histogram(kMinuteBuckets.size(), 0);
  histogram[bucket] = 1;
  return histogram;
}

TEST(BatchSummary, ANewOrderDeliveredInOneBatchCountsEverySummary) {
  BatchWrites writes;
  WrittenWhole(writes, NewOrder("o-1"));
  writes.history = {Placed("o-1", kDay0 + hours(8)),
                    Moved("o-1", 2, Status::kPending, Status::kConfirmed, kDay0 + hours(8) + minutes(3)),
                    Courier("o-1", 3, true, "c-7", Status::kConfirmed, kDay0 + hours(9)),
                    Moved("o-1", 4, Status::kConfirmed, Status::kDelivered, kDay0 + hours(9) + minutes(45))};
  EXPECT_TRUE(FactsNeeded(writes).empty()) << "everything about a new order is in the batch";

  const auto deltas = SummariseBatch(writes, {}, {}, &Identity);

  EXPECT_EQ(deltas.status_counts, (std::map<std::string, std::int64_t>{{"delivered", 1}}))
      << "pending +1-1, confirmed +1-1: only the final status is left";
  const auto& daily = deltas.daily.at({kDay0Number, "EUR"});
  EXPECT_EQ(daily.placed, 1);
  EXPECT_EQ(daily.confirmed, 1);
  EXPECT_EQ(daily.delivered, 1);
  EXPECT_EQ(daily.cancelled, 0);
  EXPECT_EQ(DecimalText(daily.revenue_cents), "1300");
  EXPECT_EQ(DecimalText(deltas.products.at({kDay0Number, "p-1", "EUR"}).quantity), "2");
  EXPECT_EQ(DecimalText(deltas.products.at({kDay0Number, "p-1", "EUR"}).revenue_cents), "300");
  EXPECT_EQ(DecimalText(deltas.products.at({kDay0Number, "p-2", "EUR"}).revenue_cents), "1000");
  const auto& courier = deltas.couriers.at({kDay0Number, "c-7"});
  EXPECT_EQ(courier.deliveries, 1);
  EXPECT_EQ(courier.minutes, OneIn(18)) << "45 minutes from the assignment: bucket [45, 50)";
  EXPECT_EQ(deltas.steps.at({kDay0Number, "placed_to_confirmed"}), OneIn(1)) << "3 minutes: bucket [2, 4)";
  EXPECT_EQ(deltas.steps.at({kDay0Number, "confirmed_to_delivered"}), OneIn(29)) << "102 minutes: [100, 105)";
  EXPECT_TRUE(deltas.cancellations.empty());
}

TEST(BatchSummary, AStoredOrderIsSummarisedFromItsLoadedFacts) {
  BatchWrites writes;
  writes.upserts.push_back(NewOrder("o-2"));
  writes.stored_before.push_back(true);
  writes.history = {Moved("o-2", 5, Status::kProcessing, Status::kDelivered, kDay0 + hours(30))};
  const auto wanted = FactsNeeded(writes);
  ASSERT_EQ(wanted.size(), 1u);
  EXPECT_EQ(wanted.at("o-2"), 5) << "its facts as the stored history before version 5 tells them";

  StoredOrderFacts facts;
  facts.currency = "USD";
  facts.total_cents = 4000;
  facts.items = {{"p-9", 4, 1000}};
  facts.created_at = kDay0;
  facts.history.first_confirmed_at = kDay0 + hours(29);
  facts.history.last_courier_event = CourierEvent{true, "c-1", kDay0 + hours(29) + minutes(30)};
  const auto deltas = SummariseBatch(writes, {{"o-2", facts}}, {}, &Identity);

  const Day next_day = kDay0Number + 1;
  EXPECT_EQ(deltas.status_counts, (std::map<std::string, std::int64_t>{{"delivered", 1}, {"processing", -1}}));
  EXPECT_EQ(deltas.daily.at({next_day, "USD"}).delivered, 1);
  EXPECT_EQ(deltas.daily.at({next_day, "USD"}).placed, 0);
  EXPECT_EQ(DecimalText(deltas.daily.at({next_day, "USD"}).revenue_cents), "4000");
  EXPECT_EQ(DecimalText(deltas.products.at({next_day, "p-9", "USD"}).quantity), "4");
  EXPECT_EQ(deltas.couriers.at({next_day, "c-1"}).minutes, OneIn(15)) << "30 minutes: [30, 35)";
  EXPECT_EQ(deltas.steps.at({next_day, "confirmed_to_delivered"}), OneIn(21)) << "60 minutes: [60, 65)";
}

TEST(BatchSummary, AStoredOrderIsWantedOnlyWhenOneOfItsRowsCountsSomethingOfIt) {
  BatchWrites writes;
  writes.upserts.push_back(NewOrder("o-3"));
  writes.stored_before.push_back(true);
  writes.history = {Courier("o-3", 3, true, "c-1", Status::kConfirmed, kDay0),
                    Moved("o-3", 4, Status::kConfirmed, Status::kCancelled, kDay0 + hours(1))};
  const auto wanted = FactsNeeded(writes);
  ASSERT_EQ(wanted.size(), 1u);
  EXPECT_EQ(wanted.at("o-3"), 3);

  writes.history = {Courier("o-3", 3, true, "c-1", Status::kConfirmed, kDay0)};
  EXPECT_TRUE(FactsNeeded(writes).empty()) << "a courier event counts nothing that needs the order";
}

TEST(BatchSummary, ADeliveryAfterTheCourierWasReleasedCountsForNoCourier) {
  BatchWrites writes;
  WrittenWhole(writes, NewOrder("o-4"));
  writes.history = {Placed("o-4", kDay0), Courier("o-4", 2, true, "c-1", Status::kPending, kDay0 + minutes(1)),
                    Courier("o-4", 3, false, "c-1", Status::kPending, kDay0 + minutes(2)),
                    Moved("o-4", 4, Status::kPending, Status::kDelivered, kDay0 + minutes(9))};
  const auto deltas = SummariseBatch(writes, {}, {}, &Identity);
  EXPECT_TRUE(deltas.couriers.empty());
  EXPECT_EQ(deltas.daily.at({kDay0Number, "EUR"}).delivered, 1);
  EXPECT_FALSE(deltas.steps.count({kDay0Number, "confirmed_to_delivered"})) << "never confirmed";
}

TEST(BatchSummary, RowsAlreadyStoredCountNothingButStillTellWhatCameBefore) {
  BatchWrites writes;
  writes.upserts.push_back(NewOrder("o-5"));
  writes.stored_before.push_back(true);
  writes.history = {Moved("o-5", 2, Status::kPending, Status::kConfirmed, kDay0),
                    Courier("o-5", 3, true, "c-2", Status::kConfirmed, kDay0 + minutes(10)),
                    Moved("o-5", 4, Status::kConfirmed, Status::kDelivered, kDay0 + minutes(16))};
  const std::set<HistoryKey> skip = {{"o-5", 2}, {"o-5", 3}};
  const auto wanted = FactsNeeded(writes, skip);
  ASSERT_EQ(wanted.size(), 1u);
  EXPECT_EQ(wanted.at("o-5"), 2) << "the stored history before the batch's first row, skipped or not";

  StoredOrderFacts facts;
  facts.currency = "EUR";
  facts.total_cents = 10;
  facts.created_at = kDay0 - hours(1);
  const auto deltas = SummariseBatch(writes, {{"o-5", facts}}, skip, &Identity);
  EXPECT_EQ(deltas.status_counts, (std::map<std::string, std::int64_t>{{"confirmed", -1}, {"delivered", 1}}));
  EXPECT_EQ(deltas.daily.at({kDay0Number, "EUR"}).confirmed, 0) << "the stored confirmation was counted before";
  EXPECT_EQ(deltas.couriers.at({kDay0Number, "c-2"}).minutes, OneIn(3)) << "6 minutes since the skipped assignment";
  EXPECT_EQ(deltas.steps.at({kDay0Number, "confirmed_to_delivered"}), OneIn(8));
  EXPECT_FALSE(deltas.steps.count({kDay0Number, "placed_to_confirmed"}));
}

TEST(BatchSummary, KeysEqualOnceStoredAreAddedUpAsOneRow) {
  BatchWrites writes;
  for (const std::string id : {"o-6", "o-7"}) WrittenWhole(writes, NewOrder(id));
  auto first = Moved("o-6", 2, Status::kPending, Status::kCancelled, kDay0);
  first.reason = std::string("out\0of stock", 12);
  auto second = Moved("o-7", 2, Status::kPending, Status::kCancelled, kDay0);
  second.reason = "out\xEF\xBF\xBDof stock";
  writes.history = {Placed("o-6", kDay0), Placed("o-7", kDay0), first, second};
  const auto deltas = SummariseBatch(writes, {}, {}, &NoNul);
  ASSERT_EQ(deltas.cancellations.size(), 1u);
  EXPECT_EQ(deltas.cancellations.begin()->second, 2);
  EXPECT_EQ(deltas.daily.at({kDay0Number, "EUR"}).cancelled, 2);
  EXPECT_EQ(deltas.status_counts, (std::map<std::string, std::int64_t>{{"cancelled", 2}}));
}

TEST(BatchSummary, RevenueIsExactBeyondSixtyFourBits) {
  BatchWrites writes;
  for (const std::string id : {"o-8", "o-9"}) {
    auto order = NewOrder(id);
    order.total_cents = 9'000'000'000'000'000'000;
    order.items = {{"p-1", 9'000'000'000'000'000'000, 9'000'000'000'000'000'000}};
    WrittenWhole(writes, order);
    writes.history.push_back(Placed(id, kDay0));
    writes.history.push_back(Moved(id, 2, Status::kPending, Status::kDelivered, kDay0));
  }
  const auto deltas = SummariseBatch(writes, {}, {}, &Identity);
  EXPECT_EQ(DecimalText(deltas.daily.at({kDay0Number, "EUR"}).revenue_cents), "18000000000000000000");
  EXPECT_EQ(DecimalText(deltas.products.at({kDay0Number, "p-1", "EUR"}).revenue_cents),
            "162000000000000000000000000000000000000");
}

TEST(BatchSummary, FactsAfterABatchCarryItsNewOrdersAndWhatItsRowsTold) {
  BatchWrites writes;
  WrittenWhole(writes, NewOrder("new"));
  writes.upserts.push_back(NewOrder("known"));
  writes.stored_before.push_back(true);
  writes.upserts.push_back(NewOrder("unknown"));
  writes.stored_before.push_back(true);
  auto done = NewOrder("done");
  done.status = Status::kDelivered;
  WrittenWhole(writes, done);
  writes.history = {Placed("new", kDay0), Moved("new", 2, Status::kPending, Status::kConfirmed, kDay0 + minutes(1)),
                    Courier("known", 4, true, "c-3", Status::kConfirmed, kDay0 + minutes(2)),
                    Courier("unknown", 2, true, "c-4", Status::kPending, kDay0)};
  StoredOrderFacts known;
  known.currency = "USD";
  known.history.first_confirmed_at = kDay0 - hours(1);
  const auto after = FactsAfter(writes, {{"known", known}});

  ASSERT_EQ(after.size(), 2u) << "an order whose facts are unknown, or that is finished, is left out";
  EXPECT_EQ(after.at("new").currency, "EUR");
  EXPECT_EQ(after.at("new").items.size(), 2u);
  EXPECT_EQ(after.at("new").history.first_confirmed_at, kDay0 + minutes(1));
  EXPECT_FALSE(after.at("new").history.last_courier_event);
  EXPECT_EQ(after.at("known").currency, "USD");
  EXPECT_EQ(after.at("known").history.first_confirmed_at, kDay0 - hours(1)) << "the first confirmation stays";
  ASSERT_TRUE(after.at("known").history.last_courier_event);
  EXPECT_EQ(after.at("known").history.last_courier_event->courier_id, "c-3");
}

TEST(BatchSummary, DaysAndBucketsMatchPostgres) {
  EXPECT_EQ(DayOf(domain::Timestamp{milliseconds(0)}), 0);
  EXPECT_EQ(DayOf(domain::Timestamp{milliseconds(-1)}), -1) << "the last millisecond of 1969-12-31";
  EXPECT_EQ(DayOf(domain::Timestamp{milliseconds(-86'400'000)}), -1);
  EXPECT_EQ(DayOf(domain::Timestamp{milliseconds(86'399'999)}), 0);
  EXPECT_EQ(MinuteBucketOf(-5), 0u) << "a negative duration counts as 0";
  EXPECT_EQ(MinuteBucketOf(1.999), 0u);
  EXPECT_EQ(MinuteBucketOf(2.0), 1u) << "a lower bound belongs to its bucket";
  EXPECT_EQ(MinuteBucketOf(1439.99), kMinuteBuckets.size() - 2);
  EXPECT_EQ(MinuteBucketOf(1e12), kMinuteBuckets.size() - 1);
  EXPECT_DOUBLE_EQ(MinutesBetween(kDay0, kDay0 + milliseconds(90'000)), 1.5);
  EXPECT_EQ(DecimalText(-1234), "-1234");
  EXPECT_EQ(DecimalText(0), "0");
}

}  // namespace
}  // namespace orders::projection

// The courier side of the read model without PostgreSQL: how the courier
// events fold into a batch's writes, what the writer remembers of couriers,
// the open-deliveries parameters and cursor, and who may list what.
#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/known_orders.hpp>
#include <orders/projection/query_api.hpp>
#include <orders/projection/query_params.hpp>
#include <orders/testing/courier_builders.hpp>

namespace orders::projection {
namespace {

using domain::Status;
using testing::Assigned;
using testing::Changed;
using testing::Declined;
using testing::Placed;
using testing::Unassigned;

platform::ConsumedRecord Record(const domain::Event& event, platform::Offset offset) {
  auto encoded = codec::EncodeEvent(event, {"evt-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {"orders.events", 0, offset, encoded.key, encoded.value, encoded.headers, 0};
}

// The stored state of kOrderId after `events`.
domain::Order StoredAfter(std::initializer_list<domain::Event> events) {
  std::optional<domain::Order> state;
  for (const auto& event : events) EXPECT_EQ(domain::Apply(state, event), domain::ApplyOutcome::kApplied);
  return *state;
}

TEST(ProjectionCourierFold, CourierEventsBumpTheVersionAndAreHistoryRowsNamingTheirEventAndCourier) {
  auto declined = Declined(3, "courier-2");
  declined.reason = "too far";
  auto writes = FoldBatch(DecodeBatch({Record(Placed(), 0), Record(Changed(2, Status::kPending, Status::kConfirmed), 1),
                                       Record(declined, 2), Record(Assigned(4), 3), Record(Unassigned(5), 4),
                                       Record(Assigned(6, "courier-3"), 5)}),
                          {});
  ASSERT_EQ(writes.upserts.size(), 1u);
  const auto& order = writes.upserts[0];
  EXPECT_EQ(order.version, 6);
  EXPECT_EQ(order.status, Status::kConfirmed);
  EXPECT_EQ(order.courier_id, "courier-3");
  EXPECT_EQ(order.updated_at, testing::At(1764000002000));
  EXPECT_FALSE(writes.stored_before[0]);
  ASSERT_EQ(writes.history.size(), 6u);
  std::vector<std::string> events;
  for (const auto& row : writes.history) events.push_back(row.event);
  EXPECT_EQ(events,
            (std::vector<std::string>{"order.placed", "order.status_changed", "order.delivery_declined",
                                      "order.courier_assigned", "order.courier_unassigned", "order.courier_assigned"}));
  EXPECT_EQ(writes.history[0].courier_id, std::nullopt);
  EXPECT_EQ(writes.history[1].courier_id, std::nullopt);
  EXPECT_EQ(writes.history[2].courier_id, "courier-2");
  EXPECT_EQ(writes.history[2].reason, "too far");
  EXPECT_EQ(writes.history[2].status, Status::kConfirmed) << "the status after the event";
  EXPECT_EQ(writes.history[3].courier_id, "courier-1");
  EXPECT_EQ(writes.history[4].courier_id, "courier-1");
  EXPECT_EQ(writes.history[5].courier_id, "courier-3");
  ASSERT_EQ(writes.declines.size(), 1u);
  EXPECT_EQ(writes.declines[0], (DeclineRow{testing::kOrderId, "courier-2", 3, testing::At(1764000002500)}));
  EXPECT_EQ(writes.applied, 6u);
}

TEST(ProjectionCourierFold, ACourierEventOfAStoredOrderIsAChangeNotAPlacement) {
  const auto stored = StoredAfter({Placed(), Changed(2, Status::kPending, Status::kConfirmed)});
  auto writes = FoldBatch(DecodeBatch({Record(Assigned(3), 7)}), {{testing::kOrderId, stored}});
  ASSERT_EQ(writes.upserts.size(), 1u);
  EXPECT_TRUE(writes.stored_before[0]);
  EXPECT_EQ(writes.upserts[0].courier_id, "courier-1");
  EXPECT_EQ(writes.upserts[0].version, 3);
  EXPECT_EQ(writes.upserts[0].customer_id, "customer-1");
}

TEST(ProjectionCourierFold, RedeliveredCourierEventsChangeNothing) {
  const auto stored =
      StoredAfter({Placed(), Changed(2, Status::kPending, Status::kConfirmed), Declined(3, "courier-2"), Assigned(4)});
  auto writes = FoldBatch(DecodeBatch({Record(Declined(3, "courier-2"), 0), Record(Assigned(4), 1)}),
                          {{testing::kOrderId, stored}});
  EXPECT_TRUE(writes.upserts.empty());
  EXPECT_TRUE(writes.history.empty());
  EXPECT_TRUE(writes.declines.empty());
  EXPECT_TRUE(writes.parked.empty());
  EXPECT_EQ(writes.duplicates, 2u);
}

// The fold needs the stored courier: without it a second courier's
// assignment would be taken for a valid one.
TEST(ProjectionCourierFold, AnAssignmentOverTheStoredCourierIsParkedAsInvalid) {
  const auto stored = StoredAfter({Placed(), Changed(2, Status::kPending, Status::kConfirmed), Assigned(3)});
  auto writes = FoldBatch(DecodeBatch({Record(Assigned(4, "courier-2"), 0)}), {{testing::kOrderId, stored}});
  EXPECT_TRUE(writes.upserts.empty());
  ASSERT_EQ(writes.parked.size(), 1u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kInvalid);
}

TEST(ProjectionCourierFold, TheSameCourierDecliningAgainIsAnEventButTheSameDecline) {
  const auto stored = StoredAfter({Placed(), Changed(2, Status::kPending, Status::kConfirmed)});
  auto writes = FoldBatch(DecodeBatch({Record(Declined(3), 0), Record(Declined(4), 1)}), {{testing::kOrderId, stored}});
  ASSERT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.upserts[0].version, 4);
  EXPECT_EQ(writes.upserts[0].declined_by, std::vector<std::string>{"courier-1"});
  EXPECT_EQ(writes.history.size(), 2u);
  // Both reach the store, which keeps the first (order, courier) row only.
  ASSERT_EQ(writes.declines.size(), 2u);
  EXPECT_EQ(writes.declines[0].version, 3);
}

TEST(ProjectionKnownOrders, RemembersTheCourierOfAnOpenOrder) {
  KnownOrders known;
  BatchWrites committed;
  committed.upserts = {StoredAfter({Placed(), Changed(2, Status::kPending, Status::kConfirmed), Assigned(3)})};
  committed.stored_before = {false};
  known.Remember(committed);
  std::map<std::string, domain::Order> stored;
  const auto to_load = known.Split(DecodeBatch({Record(Assigned(4, "courier-2"), 0)}), true, stored);
  EXPECT_TRUE(to_load.empty());
  ASSERT_EQ(stored.count(testing::kOrderId), 1u);
  EXPECT_EQ(stored.at(testing::kOrderId).courier_id, "courier-1");
  EXPECT_EQ(FoldBatch(DecodeBatch({Record(Assigned(4, "courier-2"), 0)}), stored).parked.size(), 1u);
}

TEST(ProjectionKnownOrders, KeepsTheSummaryFactsOfOpenOrdersUntilTheyFinish) {
  KnownOrders known;
  BatchWrites committed;
  committed.upserts = {StoredAfter({Placed(), Changed(2, Status::kPending, Status::kConfirmed)})};
  committed.stored_before = {false};
  StoredOrderFacts facts;
  facts.currency = "EUR";
  known.Remember(committed, {{testing::kOrderId, facts}});
  const auto batch = DecodeBatch({Record(Assigned(3), 0)});
  ASSERT_EQ(known.Facts(batch).size(), 1u);
  EXPECT_EQ(known.Facts(batch).at(testing::kOrderId).currency, "EUR");

  known.Remember(committed);  // a batch that did not know them: they are dropped, to be loaded again
  EXPECT_TRUE(known.Facts(batch).empty());

  known.Remember(committed, {{testing::kOrderId, facts}});
  committed.upserts[0].status = Status::kDelivered;
  known.Remember(committed, {{testing::kOrderId, facts}});
  EXPECT_TRUE(known.Facts(batch).empty()) << "a finished order is not kept";
}

std::vector<std::string> Fields(const ParamErrors& errors) {
  std::vector<std::string> fields;
  for (const auto& error : errors) fields.push_back(error.field);
  std::sort(fields.begin(), fields.end());
  return fields;
}

TEST(ProjectionCourierParams, ListQueryTakesACourierIdWithTheOtherFilters) {
  auto parsed = ParseListQuery({{"courierId", "courier-1"}, {"customerId", "c-1"}, {"status", "delivered"}});
  ASSERT_TRUE(parsed.value);
  EXPECT_EQ(parsed.value->courier_id, "courier-1");
  EXPECT_EQ(parsed.value->customer_id, "c-1");
  for (const std::string& bad : std::vector<std::string>{"", "has space", "a/b", std::string(65, 'c'), "é"}) {
    EXPECT_EQ(Fields(ParseListQuery({{"courierId", bad}}).errors), std::vector<std::string>{"courierId"}) << bad;
  }
}

TEST(ProjectionCourierParams, OpenDeliveriesTakeOnlyALimitAndTheirOwnCursor) {
  auto defaults = ParseOpenDeliveriesQuery({});
  ASSERT_TRUE(defaults.value);
  EXPECT_EQ(defaults.value->limit, kDefaultPageSize);
  EXPECT_FALSE(defaults.value->cursor);
  EXPECT_FALSE(defaults.value->declined_by) << "only the HTTP layer sets it, from the token";

  const ListCursor position{testing::At(), testing::kOrderId};
  auto paged =
      ParseOpenDeliveriesQuery({{"limit", "500"}, {"cursor", EncodeCursor(position, CursorList::kOpenDeliveries)}});
  ASSERT_TRUE(paged.value);
  EXPECT_EQ(paged.value->limit, 500);
  EXPECT_EQ(paged.value->cursor, position);

  EXPECT_EQ(Fields(ParseOpenDeliveriesQuery({{"limit", "0"}}).errors), std::vector<std::string>{"limit"});
  EXPECT_EQ(Fields(ParseOpenDeliveriesQuery({{"limit", "501"}}).errors), std::vector<std::string>{"limit"});
  EXPECT_EQ(Fields(ParseOpenDeliveriesQuery({{"cursor", "bogus"}}).errors), std::vector<std::string>{"cursor"});
  EXPECT_EQ(Fields(ParseOpenDeliveriesQuery({{"courierId", "courier-1"}, {"status", "confirmed"}}).errors),
            (std::vector<std::string>{"courierId", "status"}));
  // Each list's cursor belongs to that list.
  EXPECT_EQ(Fields(ParseOpenDeliveriesQuery({{"cursor", EncodeCursor(position)}}).errors),
            std::vector<std::string>{"cursor"});
  EXPECT_EQ(Fields(ParseListQuery({{"cursor", EncodeCursor(position, CursorList::kOpenDeliveries)}}).errors),
            std::vector<std::string>{"cursor"});
}

platform::Access AccessOf(platform::Role role, std::string subject) {
  platform::Access access;
  access.granted = true;
  access.principal = platform::Principal{std::move(subject), role};
  return access;
}

TEST(ProjectionCourierAccess, TokensMapToActorsAndNoTokenIsStaff) {
  using domain::ActorRole;
  EXPECT_EQ(ActorOf(AccessOf(platform::Role::kCourier, "courier-1")).role, ActorRole::kCourier);
  EXPECT_EQ(ActorOf(AccessOf(platform::Role::kCourier, "courier-1")).id, "courier-1");
  EXPECT_EQ(ActorOf(AccessOf(platform::Role::kCustomer, "c-1")).role, ActorRole::kCustomer);
  EXPECT_EQ(ActorOf(AccessOf(platform::Role::kStaff, "ops")).role, ActorRole::kStaff);
  EXPECT_EQ(ActorOf(AccessOf(platform::Role::kService, "checkout")).role, ActorRole::kService);
  EXPECT_EQ(ActorOf(platform::Access{true, std::nullopt, {}, {}}).role, ActorRole::kStaff);
}

ListQuery Filtered(std::optional<std::string> customer_id, std::optional<std::string> courier_id) {
  ListQuery query;
  query.customer_id = std::move(customer_id);
  query.courier_id = std::move(courier_id);
  return query;
}

TEST(ProjectionCourierAccess, ListsAreLimitedToTheCallersOwnOrdersOrDeliveries) {
  const domain::Actor courier{domain::ActorRole::kCourier, "courier-1"};
  ListQuery unfiltered;
  EXPECT_FALSE(LimitToCaller(courier, unfiltered));
  EXPECT_EQ(unfiltered.courier_id, "courier-1");
  auto own = Filtered("c-9", "courier-1");
  EXPECT_FALSE(LimitToCaller(courier, own));
  EXPECT_EQ(own.customer_id, "c-9");
  auto another = Filtered(std::nullopt, "courier-2");
  const auto refused = LimitToCaller(courier, another);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);

  const domain::Actor customer{domain::ActorRole::kCustomer, "c-1"};
  auto mine = Filtered(std::nullopt, "courier-2");
  EXPECT_FALSE(LimitToCaller(customer, mine));
  EXPECT_EQ(mine.customer_id, "c-1");
  auto theirs = Filtered("c-2", std::nullopt);
  EXPECT_EQ(LimitToCaller(customer, theirs)->status, 403);

  for (const auto role : {domain::ActorRole::kStaff, domain::ActorRole::kService}) {
    auto anything = Filtered(std::nullopt, "courier-7");
    EXPECT_FALSE(LimitToCaller({role, "ops"}, anything));
    EXPECT_EQ(anything.courier_id, "courier-7");
    EXPECT_FALSE(anything.customer_id);
  }
}

// Median and p90 come from the histogram, interpolated inside a bucket, to one decimal.
TEST(ProjectionCourierReport, MedianAndP90AreReadFromTheHistogramToOneDecimal) {
  MinuteHistogram three_in_ten_to_twelve(kMinuteBuckets.size(), 0);
  three_in_ten_to_twelve[5] = 3;  // [10, 12) minutes
  MinuteHistogram one_under_two(kMinuteBuckets.size(), 0);
  one_under_two[0] = 1;
  const auto json = CourierReportToJson({{"courier-1", 3, three_in_ten_to_twelve}, {"courier-2", 1, one_under_two}});
  EXPECT_EQ(json.dump(), R"({"couriers":[{"courierId":"courier-1","deliveries":3,"medianMinutesToDeliver":11.0,)"
                         R"("p90MinutesToDeliver":11.8},)"
                         R"({"courierId":"courier-2","deliveries":1,"medianMinutesToDeliver":1.0,)"
                         R"("p90MinutesToDeliver":1.8}]})");
  EXPECT_EQ(CourierReportToJson({}).dump(), R"({"couriers":[]})");
}

}  // namespace
}  // namespace orders::projection

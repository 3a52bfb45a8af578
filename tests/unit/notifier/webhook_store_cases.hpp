#pragma once
// The behaviour every EndpointRegistry + DeliveryLedger pair must have, run
// against the in-memory fakes (unit tier, webhook_memory_store_test.cpp) and
// the PostgreSQL adapters (integration tier, webhook_pg_store_test.cpp), so
// the fakes the dispatcher's tests rely on cannot drift from the real store.
//
// A Stores type provides:
//   static void Require();  // skips the test when its server is missing
//   explicit Stores(std::size_t max_endpoints);
//   EndpointRegistry& registry();  DeliveryLedger& ledger();

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include <orders/notifier/webhooks/delivery_cursor.hpp>
#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

template <typename Stores>
class WebhookStoreBehaviour : public ::testing::Test {
 protected:
  void SetUp() override {
    Stores::Require();
    if (IsSkipped() || HasFailure()) return;
    stores_ = std::make_unique<Stores>(kCap);
  }

  static constexpr std::size_t kCap = 3;

  EndpointRegistry& registry() { return stores_->registry(); }
  DeliveryLedger& ledger() { return stores_->ledger(); }

  Endpoint Created(const std::string& url = "http://127.0.0.1:9/hook") {
    Endpoint endpoint;
    endpoint.url = url;
    endpoint.events = {"order.*", "inventory.stock_set"};
    endpoint.description = "test receiver";
    endpoint.secret = "whsec_dGVzdC1zZWNyZXQtdGhhdC1pcy0zMi1ieXRlcyEh";
    auto created = registry().Create(endpoint);
    EXPECT_TRUE(created.has_value());
    return created.value_or(Endpoint{});
  }

  // A delivery whose fields all differ from their defaults; times on whole seconds.
  static Delivery ADelivery(const std::string& endpoint_id, const std::string& event_id, std::int64_t offset = 7,
                            WallClock::time_point event_time = At(1000)) {
    Delivery delivery;
    delivery.endpoint_id = endpoint_id;
    delivery.event_id = event_id;
    delivery.event_type = "order.status_changed";
    delivery.subject = "order-1";
    delivery.topic = "orders.events";
    delivery.partition = 2;
    delivery.offset = offset;
    delivery.body = R"({"specversion":"1.0","id":")" + event_id + R"("})";
    delivery.event_time = event_time;
    delivery.status = DeliveryStatus::kPending;
    delivery.attempts = 1;
    delivery.next_attempt_at = At(2000);
    delivery.last_http_status = 500;
    delivery.last_error = "HTTP 500";
    return delivery;
  }

  // A fixed point in time: `seconds` after 2026-12-05T00:00:00Z, plus microseconds.
  static WallClock::time_point At(std::int64_t seconds, std::int64_t micros = 0) {
    return FromMicros((1'796'428'800LL + seconds) * 1'000'000 + micros);
  }

  static std::vector<std::string> EventIds(const std::vector<Delivery>& deliveries) {
    std::vector<std::string> ids;
    for (const auto& delivery : deliveries) ids.push_back(delivery.event_id);
    return ids;
  }

 private:
  std::unique_ptr<Stores> stores_;
};

TYPED_TEST_SUITE_P(WebhookStoreBehaviour);

TYPED_TEST_P(WebhookStoreBehaviour, CreateChoosesTheIdAndCreationTimeAndKeepsWhatWasGiven) {
  const auto before = StoredTime(WallClock::now() - std::chrono::seconds(5));
  const Endpoint created = this->Created("https://example.test/hooks?a=1");
  EXPECT_EQ(created.id.rfind("ep_", 0), 0u) << created.id;
  EXPECT_GE(created.created_at, before);
  EXPECT_LE(created.created_at, WallClock::now() + std::chrono::seconds(5));
  const auto got = this->registry().Get(created.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->url, "https://example.test/hooks?a=1");
  EXPECT_EQ(got->events, (std::vector<std::string>{"order.*", "inventory.stock_set"}));
  EXPECT_EQ(got->description, "test receiver");
  EXPECT_EQ(got->secret, "whsec_dGVzdC1zZWNyZXQtdGhhdC1pcy0zMi1ieXRlcyEh");
  EXPECT_EQ(got->created_at, created.created_at);
  EXPECT_FALSE(got->failing_since);
  EXPECT_FALSE(got->disabled);
  EXPECT_EQ(got->disabled_reason, "");
}

TYPED_TEST_P(WebhookStoreBehaviour, ListHasEveryEndpointOldestFirstSecretsIncluded) {
  const Endpoint first = this->Created("http://127.0.0.1:9/first");
  const Endpoint second = this->Created("http://127.0.0.1:9/second");
  const auto all = this->registry().List();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, first.id);
  EXPECT_EQ(all[1].id, second.id);
  EXPECT_EQ(all[1].secret, second.secret);
}

TYPED_TEST_P(WebhookStoreBehaviour, AnUnknownIdIsNeitherFoundNorDeleted) {
  EXPECT_FALSE(this->registry().Get("ep_00000000-0000-4000-8000-000000000000"));
  EXPECT_FALSE(this->registry().Get("not an id at all ' --"));
  EXPECT_FALSE(this->registry().Delete("ep_00000000-0000-4000-8000-000000000000"));
}

TYPED_TEST_P(WebhookStoreBehaviour, CreatePastTheCapIsRefusedUntilOneIsDeleted) {
  std::vector<Endpoint> created;
  for (std::size_t i = 0; i < TestFixture::kCap; ++i) created.push_back(this->Created());
  Endpoint another;
  another.url = "http://127.0.0.1:9/over";
  another.events = {"*"};
  another.secret = "whsec_x";
  EXPECT_FALSE(this->registry().Create(another));
  EXPECT_EQ(this->registry().List().size(), TestFixture::kCap);
  ASSERT_TRUE(this->registry().Delete(created[0].id));
  EXPECT_TRUE(this->registry().Create(another));
}

TYPED_TEST_P(WebhookStoreBehaviour, DeleteForgetsTheEndpointAndItsDeliveries) {
  const Endpoint gone = this->Created();
  const Endpoint kept = this->Created();
  this->ledger().Keep(this->ADelivery(gone.id, "e1"));
  this->ledger().Keep(this->ADelivery(kept.id, "e1"));
  ASSERT_TRUE(this->registry().Delete(gone.id));
  EXPECT_FALSE(this->registry().Get(gone.id));
  EXPECT_TRUE(this->ledger().List(gone.id, std::nullopt, std::nullopt, 10).items.empty());
  EXPECT_EQ(this->ledger().List(kept.id, std::nullopt, std::nullopt, 10).items.size(), 1u);
  EXPECT_EQ(this->EventIds(this->ledger().Due("orders.events", {2}, this->At(3000), 10)),
            (std::vector<std::string>{"e1"}));
  EXPECT_FALSE(this->registry().Delete(gone.id));
}

TYPED_TEST_P(WebhookStoreBehaviour, FailingSinceIsTheFirstFailureAndASuccessClearsIt) {
  const Endpoint endpoint = this->Created();
  this->registry().RecordHealth(endpoint.id, false, this->At(10, 123));
  this->registry().RecordHealth(endpoint.id, false, this->At(20));
  EXPECT_EQ(this->registry().Get(endpoint.id)->failing_since, this->At(10, 123));
  this->registry().RecordHealth(endpoint.id, true, this->At(30));
  EXPECT_FALSE(this->registry().Get(endpoint.id)->failing_since);
  this->registry().RecordHealth(endpoint.id, false, this->At(40));
  EXPECT_EQ(this->registry().Get(endpoint.id)->failing_since, this->At(40));
}

TYPED_TEST_P(WebhookStoreBehaviour, DisableMarksTheEndpointWithItsReason) {
  const Endpoint endpoint = this->Created();
  this->registry().Disable(endpoint.id, "failing since 2026-12-05T01:00:00Z");
  const auto got = this->registry().Get(endpoint.id);
  EXPECT_TRUE(got->disabled);
  EXPECT_EQ(got->disabled_reason, "failing since 2026-12-05T01:00:00Z");
  EXPECT_TRUE(this->registry().List()[0].disabled);
  this->registry().Disable("ep_unknown", "no such endpoint: nothing happens");
}

TYPED_TEST_P(WebhookStoreBehaviour, ResumeOffsetsAreEmptyUntilSavedAndKeptPerPartition) {
  EXPECT_FALSE(this->ledger().ResumeOffset("orders.events", 0));
  this->ledger().SaveResumeOffset("orders.events", 0, 41);
  this->ledger().SaveResumeOffset("orders.events", 0, 42);
  this->ledger().SaveResumeOffset("orders.events", 1, 7);
  this->ledger().SaveResumeOffset("inventory.events", 0, 3);
  EXPECT_EQ(this->ledger().ResumeOffset("orders.events", 0), 42);
  EXPECT_EQ(this->ledger().ResumeOffset("orders.events", 1), 7);
  EXPECT_EQ(this->ledger().ResumeOffset("inventory.events", 0), 3);
  EXPECT_FALSE(this->ledger().ResumeOffset("inventory.events", 1));
}

TYPED_TEST_P(WebhookStoreBehaviour, KeepStoresEveryFieldAndLaterUpdatesOnlyTheAttempt) {
  const Endpoint endpoint = this->Created();
  const Delivery first = this->ADelivery(endpoint.id, "evt-1", 7, this->At(1000, 456));
  this->ledger().Keep(first);
  auto listed = this->ledger().List(endpoint.id, std::nullopt, std::nullopt, 10).items;
  ASSERT_EQ(listed.size(), 1u);
  const Delivery& stored = listed[0];
  EXPECT_EQ(stored.endpoint_id, endpoint.id);
  EXPECT_EQ(stored.event_id, "evt-1");
  EXPECT_EQ(stored.event_type, "order.status_changed");
  EXPECT_EQ(stored.subject, "order-1");
  EXPECT_EQ(stored.topic, "orders.events");
  EXPECT_EQ(stored.partition, 2);
  EXPECT_EQ(stored.offset, 7);
  EXPECT_EQ(stored.body, first.body);
  EXPECT_EQ(stored.event_time, this->At(1000, 456));
  EXPECT_EQ(stored.status, DeliveryStatus::kPending);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.next_attempt_at, this->At(2000));
  EXPECT_EQ(stored.last_http_status, 500);
  EXPECT_EQ(stored.last_error, "HTTP 500");
  EXPECT_GT(stored.updated_at, WallClock::time_point{});

  Delivery retried = first;
  retried.body = "a different body is ignored: the event stays as first kept";
  retried.offset = 99;
  retried.status = DeliveryStatus::kFailed;
  retried.attempts = 8;
  retried.next_attempt_at = this->At(9000);
  retried.last_http_status = 0;
  retried.last_error = "timeout";
  this->ledger().Keep(retried);
  listed = this->ledger().List(endpoint.id, std::nullopt, std::nullopt, 10).items;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].body, first.body);
  EXPECT_EQ(listed[0].offset, 7);
  EXPECT_EQ(listed[0].status, DeliveryStatus::kFailed);
  EXPECT_EQ(listed[0].attempts, 8);
  EXPECT_EQ(listed[0].next_attempt_at, this->At(9000));
  EXPECT_EQ(listed[0].last_http_status, 0);
  EXPECT_EQ(listed[0].last_error, "timeout");
}

TYPED_TEST_P(WebhookStoreBehaviour, KeepAllKeepsEachInTurnWithItsTraceParent) {
  const Endpoint endpoint = this->Created();
  Delivery first = this->ADelivery(endpoint.id, "evt-a", 7);
  first.trace_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  Delivery second = this->ADelivery(endpoint.id, "evt-b", 8);
  Delivery first_later = first;
  first_later.status = DeliveryStatus::kFailed;
  first_later.attempts = 5;
  this->ledger().KeepAll({first, second, first_later, this->ADelivery("ep_00000000-0000-4000-8000-000000000000", "x")});
  auto listed = this->ledger().List(endpoint.id, std::nullopt, std::nullopt, 10).items;
  ASSERT_EQ(listed.size(), 2u) << "one row per event of a known endpoint";
  std::sort(listed.begin(), listed.end(), [](const Delivery& a, const Delivery& b) { return a.event_id < b.event_id; });
  EXPECT_EQ(listed[0].status, DeliveryStatus::kFailed) << "the later entry wins";
  EXPECT_EQ(listed[0].attempts, 5);
  EXPECT_EQ(listed[0].trace_parent, first.trace_parent);
  EXPECT_EQ(listed[1].status, DeliveryStatus::kPending);
  EXPECT_EQ(listed[1].trace_parent, "");
}

TYPED_TEST_P(WebhookStoreBehaviour, KeepAllKeepsALargeBatchWithAnyTextExactly) {
  const Endpoint endpoint = this->Created();
  const std::string awkward = "quote ' double \" backslash \\ newline \n tab \t percent %s dollar $1 \u00e9\u20ac";
  std::vector<Delivery> batch;
  for (int i = 0; i < 600; ++i) {
    Delivery delivery = this->ADelivery(endpoint.id, "evt-" + std::to_string(1000 + i), 100 + i);
    delivery.body = R"({"data":")" + awkward + std::to_string(i) + R"("})";
    delivery.subject = "order-'" + std::to_string(i);
    delivery.last_error = awkward;
    batch.push_back(delivery);
  }
  this->ledger().KeepAll(batch);
  const auto due = this->ledger().Due("orders.events", {2}, this->At(3000), 1000);
  ASSERT_EQ(due.size(), 600u);
  for (std::size_t i = 0; i < due.size(); ++i) {
    EXPECT_EQ(due[i].offset, static_cast<std::int64_t>(100 + i));
    EXPECT_EQ(due[i].body, batch[i].body);
    EXPECT_EQ(due[i].subject, batch[i].subject);
    EXPECT_EQ(due[i].last_error, awkward);
  }
}

TYPED_TEST_P(WebhookStoreBehaviour, ADeliveryForAnUnknownEndpointIsNotKept) {
  this->ledger().Keep(this->ADelivery("ep_00000000-0000-4000-8000-000000000000", "e1"));
  EXPECT_TRUE(this->ledger().Due("orders.events", {2}, this->At(3000), 10).empty());
}

TYPED_TEST_P(WebhookStoreBehaviour, DueIsPendingWorkOfTheGivenPartitionsThatIsDueOldestOffsetFirst) {
  const Endpoint endpoint = this->Created();
  auto keep = [&](const std::string& id, std::int32_t partition, std::int64_t offset, WallClock::time_point next,
                  DeliveryStatus status = DeliveryStatus::kPending, const std::string& topic = "orders.events") {
    Delivery delivery = this->ADelivery(endpoint.id, id, offset);
    delivery.partition = partition;
    delivery.next_attempt_at = next;
    delivery.status = status;
    delivery.topic = topic;
    this->ledger().Keep(delivery);
  };
  keep("late-offset", 1, 30, this->At(100));
  keep("early-offset", 3, 10, this->At(100));
  keep("exactly-due", 1, 20, this->At(200));
  keep("not-yet-due", 1, 5, this->At(201));
  keep("other-partition", 2, 1, this->At(100));
  keep("failed", 1, 2, this->At(100), DeliveryStatus::kFailed);
  keep("delivered", 1, 3, this->At(100), DeliveryStatus::kDelivered);
  keep("other-topic", 1, 4, this->At(100), DeliveryStatus::kPending, "inventory.events");
  EXPECT_EQ(this->EventIds(this->ledger().Due("orders.events", {1, 3}, this->At(200), 10)),
            (std::vector<std::string>{"early-offset", "exactly-due", "late-offset"}));
  EXPECT_EQ(this->EventIds(this->ledger().Due("orders.events", {1, 3}, this->At(200), 2)),
            (std::vector<std::string>{"early-offset", "exactly-due"}));
  EXPECT_TRUE(this->ledger().Due("orders.events", {}, this->At(200), 10).empty());
  const auto due = this->ledger().Due("orders.events", {2}, this->At(200), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].body, this->ADelivery(endpoint.id, "other-partition").body);
}

TYPED_TEST_P(WebhookStoreBehaviour, PendingSubjectsNameEachEndpointAndSubjectOnce) {
  const Endpoint a = this->Created();
  const Endpoint b = this->Created();
  auto keep = [&](const Endpoint& endpoint, const std::string& id, const std::string& subject, std::int32_t partition,
                  DeliveryStatus status = DeliveryStatus::kPending) {
    Delivery delivery = this->ADelivery(endpoint.id, id);
    delivery.subject = subject;
    delivery.partition = partition;
    delivery.status = status;
    this->ledger().Keep(delivery);
  };
  keep(a, "e1", "order-1", 0);
  keep(a, "e2", "order-1", 0);
  keep(a, "e3", "order-2", 1);
  keep(b, "e1", "order-1", 0);
  keep(b, "e4", "order-3", 0, DeliveryStatus::kFailed);
  keep(b, "e5", "order-4", 5);
  auto subjects = this->ledger().PendingSubjects("orders.events", {0, 1});
  std::sort(subjects.begin(), subjects.end());
  std::vector<std::pair<std::string, std::string>> expected = {{a.id, "order-1"}, {a.id, "order-2"}, {b.id, "order-1"}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(subjects, expected);
  EXPECT_TRUE(this->ledger().PendingSubjects("inventory.events", {0, 1}).empty());
}

TYPED_TEST_P(WebhookStoreBehaviour, ListPagesNewestEventFirstUntilExhausted) {
  const Endpoint endpoint = this->Created();
  const Endpoint other = this->Created();
  // Two events share a time: the event id orders them (descending, bytewise).
  const std::vector<std::pair<std::string, WallClock::time_point>> events = {{"e-a", this->At(10)},
                                                                             {"e-b", this->At(30)},
                                                                             {"e-c", this->At(20)},
                                                                             {"e-d", this->At(20)},
                                                                             {"e-e", this->At(40)}};
  for (const auto& [id, at] : events) this->ledger().Keep(this->ADelivery(endpoint.id, id, 1, at));
  this->ledger().Keep(this->ADelivery(other.id, "e-z", 1, this->At(50)));
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    const Page page = this->ledger().List(endpoint.id, std::nullopt, cursor, 2);
    EXPECT_LE(page.items.size(), 2u);
    for (const auto& id : this->EventIds(page.items)) seen.push_back(id);
    cursor = page.next_cursor;
    ASSERT_LT(++pages, 10);
  } while (cursor);
  EXPECT_EQ(seen, (std::vector<std::string>{"e-e", "e-b", "e-d", "e-c", "e-a"}));
  EXPECT_EQ(pages, 3);
  // A page that ends exactly at the last delivery has no next cursor.
  EXPECT_FALSE(this->ledger().List(endpoint.id, std::nullopt, std::nullopt, 5).next_cursor);
}

TYPED_TEST_P(WebhookStoreBehaviour, ListFiltersByStatus) {
  const Endpoint endpoint = this->Created();
  Delivery failed = this->ADelivery(endpoint.id, "failed-1", 1, this->At(10));
  failed.status = DeliveryStatus::kFailed;
  Delivery delivered = this->ADelivery(endpoint.id, "delivered-1", 2, this->At(20));
  delivered.status = DeliveryStatus::kDelivered;
  this->ledger().Keep(failed);
  this->ledger().Keep(delivered);
  this->ledger().Keep(this->ADelivery(endpoint.id, "pending-1", 3, this->At(30)));
  EXPECT_EQ(this->EventIds(this->ledger().List(endpoint.id, DeliveryStatus::kFailed, std::nullopt, 10).items),
            (std::vector<std::string>{"failed-1"}));
  EXPECT_EQ(this->EventIds(this->ledger().List(endpoint.id, DeliveryStatus::kDelivered, std::nullopt, 10).items),
            (std::vector<std::string>{"delivered-1"}));
  EXPECT_EQ(this->EventIds(this->ledger().List(endpoint.id, DeliveryStatus::kPending, std::nullopt, 10).items),
            (std::vector<std::string>{"pending-1"}));
}

TYPED_TEST_P(WebhookStoreBehaviour, ListWithoutAStatusPagesAcrossEveryStatusNewestFirst) {
  const Endpoint endpoint = this->Created();
  const DeliveryStatus statuses[] = {DeliveryStatus::kPending, DeliveryStatus::kDelivered, DeliveryStatus::kFailed};
  // Nine events, their statuses interleaved in time; two pairs share a time (the id orders them).
  std::vector<std::string> newest_first;
  for (int i = 0; i < 9; ++i) {
    const std::string id = "e-" + std::to_string(i);
    Delivery delivery = this->ADelivery(endpoint.id, id, i, this->At(i == 4 ? 3 : i == 8 ? 7 : i));
    delivery.status = statuses[(i * 2) % 3];
    this->ledger().Keep(delivery);
  }
  const std::vector<std::string> expected = {"e-8", "e-7", "e-6", "e-5", "e-4", "e-3", "e-2", "e-1", "e-0"};
  for (const std::size_t size : {1u, 2u, 4u, 9u}) {
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
      const Page page = this->ledger().List(endpoint.id, std::nullopt, cursor, size);
      for (const auto& id : this->EventIds(page.items)) seen.push_back(id);
      cursor = page.next_cursor;
      ASSERT_LT(++pages, 20);
    } while (cursor);
    EXPECT_EQ(seen, expected) << "pages of " << size;
  }
}

TYPED_TEST_P(WebhookStoreBehaviour, DueOverSeveralPartitionsIsTheOldestOffsetsOfAllOfThemWithinTheLimit) {
  const Endpoint a = this->Created();
  const Endpoint b = this->Created();
  // Partition 0 holds most of the due work; an older offset of partition 1 and both endpoints of one
  // event (the same offset) must still come in offset, partition, endpoint order.
  auto keep = [&](const Endpoint& endpoint, const std::string& id, std::int32_t partition, std::int64_t offset) {
    Delivery delivery = this->ADelivery(endpoint.id, id, offset);
    delivery.partition = partition;
    delivery.next_attempt_at = this->At(100);
    this->ledger().Keep(delivery);
  };
  for (int offset = 10; offset < 20; ++offset) keep(a, "p0-" + std::to_string(offset), 0, offset);
  keep(b, "p0-12", 0, 12);
  keep(a, "p1-11", 1, 11);
  keep(b, "p2-12", 2, 12);
  const auto due = this->ledger().Due("orders.events", {0, 1, 2}, this->At(200), 5);
  std::vector<std::string> got;
  for (const auto& delivery : due) {
    got.push_back(delivery.event_id + "@" + std::to_string(delivery.partition) +
                  (delivery.endpoint_id == a.id ? "a" : "b"));
  }
  const std::string first_at_12 = a.id < b.id ? "p0-12@0a" : "p0-12@0b";
  const std::string second_at_12 = a.id < b.id ? "p0-12@0b" : "p0-12@0a";
  EXPECT_EQ(got, (std::vector<std::string>{"p0-10@0a", "p0-11@0a", "p1-11@1a", first_at_12, second_at_12}));
}

TYPED_TEST_P(WebhookStoreBehaviour, ParksAreKeptPerEndpointAndPartitionReplacedDroppedAndDeletedWithTheEndpoint) {
  const Endpoint a = this->Created();
  const Endpoint b = this->Created();
  auto park = [&](const Endpoint& endpoint, std::int32_t partition, std::int64_t from, int attempts,
                  const std::string& topic = "orders.events", const std::string& fail_reason = "") {
    Park parked;
    parked.fail_reason = fail_reason;
    parked.endpoint_id = endpoint.id;
    parked.topic = topic;
    parked.partition = partition;
    parked.from_offset = from;
    parked.attempts = attempts;
    parked.next_attempt_at = this->At(100, 250);
    this->ledger().SavePark(parked);
  };
  park(a, 0, 10, 0);
  park(a, 1, 20, 0);
  park(b, 1, 30, 2, "orders.events", "retries used up");
  park(a, 1, 25, 1);  // replaces a's park on partition 1
  park(a, 0, 5, 0, "inventory.events");
  Park unknown;
  unknown.endpoint_id = "ep_00000000-0000-4000-8000-000000000000";
  unknown.topic = "orders.events";
  this->ledger().SavePark(unknown);

  auto claim = this->ledger().ClaimParks("orders.events", {1});
  auto parks = claim.parks;
  std::sort(parks.begin(), parks.end(), [](const Park& x, const Park& y) { return x.from_offset < y.from_offset; });
  ASSERT_EQ(parks.size(), 2u);
  EXPECT_EQ(parks[0].endpoint_id, a.id);
  EXPECT_EQ(parks[0].from_offset, 25);
  EXPECT_EQ(parks[0].attempts, 1);
  EXPECT_EQ(parks[0].next_attempt_at, this->At(100, 250));
  EXPECT_EQ(parks[0].fail_reason, "") << "not failing";
  EXPECT_EQ(parks[0].ownership, claim.ownership);
  EXPECT_EQ(parks[1].endpoint_id, b.id);
  EXPECT_EQ(parks[1].fail_reason, "retries used up") << "a failing park stays failing";
  claim = this->ledger().ClaimParks("orders.events", {0, 1});
  EXPECT_EQ(claim.parks.size(), 3u) << "no park for an unknown endpoint";
  EXPECT_TRUE(this->ledger().ClaimParks("orders.events", {}).parks.empty());

  EXPECT_TRUE(this->ledger().DropPark(a.id, "orders.events", 0, claim.ownership));
  EXPECT_FALSE(this->ledger().DropPark(a.id, "orders.events", 0, claim.ownership)) << "dropped already";
  EXPECT_EQ(this->ledger().ClaimParks("orders.events", {0, 1}).parks.size(), 2u);
  EXPECT_TRUE(this->registry().Delete(a.id));
  parks = this->ledger().ClaimParks("orders.events", {0, 1}).parks;
  ASSERT_EQ(parks.size(), 1u);
  EXPECT_EQ(parks[0].endpoint_id, b.id);
  EXPECT_TRUE(this->ledger().ClaimParks("inventory.events", {0}).parks.empty());
}

// A notifier stalled past its session timeout finishes a catch-up round it began as the owner and
// drops the park, or writes it where its round stood, after the partition was dealt to another
// instance, whose claim took the park over: neither may touch the new owner's row.
TYPED_TEST_P(WebhookStoreBehaviour, AStaleOwnerCannotDropOrOverwriteAParkTheNewOwnerClaimedOrWrote) {
  const Endpoint endpoint = this->Created();
  const auto old_owner = this->ledger().ClaimParks("orders.events", {3});
  Park park;
  park.endpoint_id = endpoint.id;
  park.topic = "orders.events";
  park.partition = 3;
  park.from_offset = 40;
  park.next_attempt_at = this->At(100);
  park.ownership = old_owner.ownership;
  this->ledger().SavePark(park);

  const auto new_owner = this->ledger().ClaimParks("orders.events", {3});
  EXPECT_GT(new_owner.ownership, old_owner.ownership) << "a later claim has a later number";
  ASSERT_EQ(new_owner.parks.size(), 1u) << "the claim loads the park the old owner wrote";
  EXPECT_EQ(new_owner.parks[0].ownership, new_owner.ownership);
  EXPECT_FALSE(this->ledger().DropPark(endpoint.id, "orders.events", 3, old_owner.ownership))
      << "the old owner's drop of a claimed park does nothing";

  Park stale = park;
  stale.from_offset = 55;
  this->ledger().SavePark(stale);
  Park renewed = park;
  renewed.from_offset = 47;
  renewed.attempts = 2;
  renewed.ownership = new_owner.ownership;
  this->ledger().SavePark(renewed);
  this->ledger().SavePark(stale);
  EXPECT_FALSE(this->ledger().DropPark(endpoint.id, "orders.events", 3, old_owner.ownership))
      << "nor of a park the new owner wrote";

  const auto next_owner = this->ledger().ClaimParks("orders.events", {3});
  ASSERT_EQ(next_owner.parks.size(), 1u) << "the park survives the old owner";
  EXPECT_EQ(next_owner.parks[0].from_offset, 47) << "as the new owner wrote it, the old owner's writes refused";
  EXPECT_EQ(next_owner.parks[0].attempts, 2);
  EXPECT_TRUE(this->ledger().DropPark(endpoint.id, "orders.events", 3, next_owner.ownership))
      << "the current owner drops it";
  EXPECT_TRUE(this->ledger().ClaimParks("orders.events", {3}).parks.empty());
}

TYPED_TEST_P(WebhookStoreBehaviour, AForeignCursorListsNothing) {
  const Endpoint endpoint = this->Created();
  this->ledger().Keep(this->ADelivery(endpoint.id, "e1"));
  for (const char* cursor : {"", "not-base64!", "bm8tY29sb24", "OnN0YXJ0cy13aXRoLWNvbG9u"}) {
    EXPECT_TRUE(this->ledger().List(endpoint.id, std::nullopt, std::string(cursor), 10).items.empty()) << cursor;
  }
}

TYPED_TEST_P(WebhookStoreBehaviour, ReplayMakesFailedDeliveriesFromATimeOnDueNowWithAttemptsReset) {
  const Endpoint endpoint = this->Created();
  const Endpoint other = this->Created();
  auto keep_failed = [&](const Endpoint& owner, const std::string& id, WallClock::time_point at) {
    Delivery delivery = this->ADelivery(owner.id, id, 1, at);
    delivery.status = DeliveryStatus::kFailed;
    delivery.attempts = 8;
    delivery.next_attempt_at = this->At(999'999);
    this->ledger().Keep(delivery);
  };
  keep_failed(endpoint, "before", this->At(99, 999'999));
  keep_failed(endpoint, "at-from", this->At(100));
  keep_failed(endpoint, "after", this->At(200));
  keep_failed(other, "other-endpoint", this->At(200));
  Delivery waiting = this->ADelivery(endpoint.id, "still-pending", 1, this->At(300));
  waiting.next_attempt_at = WallClock::now() + std::chrono::hours(1);
  this->ledger().Keep(waiting);

  EXPECT_EQ(this->ledger().Replay(endpoint.id, this->At(100)), 2u);
  const auto due = this->ledger().Due("orders.events", {2}, WallClock::now() + std::chrono::seconds(5), 10);
  std::set<std::string> due_ids;
  for (const auto& delivery : due) {
    due_ids.insert(delivery.event_id);
    if (delivery.event_id == "after") {
      EXPECT_EQ(delivery.attempts, 0);
    }
  }
  EXPECT_EQ(due_ids, (std::set<std::string>{"at-from", "after"}));
  EXPECT_EQ(this->EventIds(this->ledger().List(endpoint.id, DeliveryStatus::kFailed, std::nullopt, 10).items),
            (std::vector<std::string>{"before"}));
  EXPECT_EQ(this->ledger().List(other.id, DeliveryStatus::kFailed, std::nullopt, 10).items.size(), 1u);
  EXPECT_EQ(this->ledger().Replay(endpoint.id, this->At(100)), 0u);
}

REGISTER_TYPED_TEST_SUITE_P(WebhookStoreBehaviour, CreateChoosesTheIdAndCreationTimeAndKeepsWhatWasGiven,
                            ListHasEveryEndpointOldestFirstSecretsIncluded, AnUnknownIdIsNeitherFoundNorDeleted,
                            CreatePastTheCapIsRefusedUntilOneIsDeleted, DeleteForgetsTheEndpointAndItsDeliveries,
                            FailingSinceIsTheFirstFailureAndASuccessClearsIt, DisableMarksTheEndpointWithItsReason,
                            ResumeOffsetsAreEmptyUntilSavedAndKeptPerPartition,
                            KeepStoresEveryFieldAndLaterUpdatesOnlyTheAttempt, ADeliveryForAnUnknownEndpointIsNotKept,
                            DueIsPendingWorkOfTheGivenPartitionsThatIsDueOldestOffsetFirst,
                            PendingSubjectsNameEachEndpointAndSubjectOnce, ListPagesNewestEventFirstUntilExhausted,
                            ListFiltersByStatus, AForeignCursorListsNothing,
                            ReplayMakesFailedDeliveriesFromATimeOnDueNowWithAttemptsReset,
                            KeepAllKeepsEachInTurnWithItsTraceParent, KeepAllKeepsALargeBatchWithAnyTextExactly,
                            ListWithoutAStatusPagesAcrossEveryStatusNewestFirst,
                            DueOverSeveralPartitionsIsTheOldestOffsetsOfAllOfThemWithinTheLimit,
                            ParksAreKeptPerEndpointAndPartitionReplacedDroppedAndDeletedWithTheEndpoint,
                            AStaleOwnerCannotDropOrOverwriteAParkTheNewOwnerClaimedOrWrote);

}  // namespace orders::notifier::webhooks

// The webhook dispatcher against the real broker, with in-memory stores and a
// recording sender: instances sharing the consumer group deliver each event
// once per endpoint, in order per subject, and a stopping instance hands its
// partitions over where it stopped.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include <orders/codec/trace_context.hpp>
#include <orders/notifier/webhooks/dispatcher.hpp>
#include <orders/notifier/webhooks/http_webhook_sender.hpp>
#include <orders/platform/kafka_consumer.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/log_marker.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/webhook_receiver.hpp>

#include "../../unit/notifier/webhooks/dispatch_fakes.hpp"

namespace orders::notifier::webhooks {
namespace {

using namespace std::chrono_literals;
using orders::testing::Eventually;

template <typename Step>
auto WithLock(std::mutex& mutex, Step&& step) {
  std::lock_guard lock(mutex);
  return step();
}

// The stores are shared by the instances (as PostgreSQL is): one lock around the fakes.
class SharedRegistry : public EndpointRegistry {
 public:
  std::optional<Endpoint> Create(Endpoint endpoint) override {
    return WithLock(mutex, [&] { return fake.Create(endpoint); });
  }
  std::vector<Endpoint> List() override {
    return WithLock(mutex, [&] { return fake.List(); });
  }
  std::optional<Endpoint> Get(const std::string& id) override {
    return WithLock(mutex, [&] { return fake.Get(id); });
  }
  bool Delete(const std::string& id) override {
    return WithLock(mutex, [&] { return fake.Delete(id); });
  }
  void RecordHealth(const std::string& id, bool succeeded, WallClock::time_point at) override {
    WithLock(mutex, [&] { fake.RecordHealth(id, succeeded, at); });
  }
  void Disable(const std::string& id, const std::string& reason) override {
    WithLock(mutex, [&] { fake.Disable(id, reason); });
  }
  testing::TestRegistry fake;
  std::mutex mutex;
};

class SharedLedger : public DeliveryLedger {
 public:
  std::optional<std::int64_t> ResumeOffset(const std::string& topic, std::int32_t partition) override {
    if (down) throw std::runtime_error("connection refused");
    return WithLock(mutex, [&] { return fake.ResumeOffset(topic, partition); });
  }
  void SaveResumeOffset(const std::string& topic, std::int32_t partition, std::int64_t offset) override {
    WithLock(mutex, [&] { fake.SaveResumeOffset(topic, partition, offset); });
  }
  void Keep(const Delivery& delivery) override {
    WithLock(mutex, [&] { fake.Keep(delivery); });
  }
  std::vector<Delivery> Due(const std::string& topic, const std::vector<std::int32_t>& partitions,
                            WallClock::time_point now, std::size_t limit) override {
    return WithLock(mutex, [&] { return fake.Due(topic, partitions, now, limit); });
  }
  std::vector<std::pair<std::string, std::string>> PendingSubjects(
      const std::string& topic, const std::vector<std::int32_t>& partitions) override {
    return WithLock(mutex, [&] { return fake.PendingSubjects(topic, partitions); });
  }
  Page List(const std::string& endpoint_id, std::optional<DeliveryStatus> status,
            const std::optional<std::string>& cursor, std::size_t limit) override {
    return WithLock(mutex, [&] { return fake.List(endpoint_id, status, cursor, limit); });
  }
  std::size_t Replay(const std::string& endpoint_id, WallClock::time_point from) override {
    return WithLock(mutex, [&] { return fake.Replay(endpoint_id, from); });
  }
  void SavePark(const Park& park) override {
    WithLock(mutex, [&] { fake.SavePark(park); });
  }
  bool DropPark(const std::string& endpoint_id, const std::string& topic, std::int32_t partition,
                std::uint64_t ownership) override {
    return WithLock(mutex, [&] { return fake.DropPark(endpoint_id, topic, partition, ownership); });
  }
  ParkClaim ClaimParks(const std::string& topic, const std::vector<std::int32_t>& partitions) override {
    return WithLock(mutex, [&] { return fake.ClaimParks(topic, partitions); });
  }
  template <typename Step>
  auto WithLockDo(Step&& step) {
    return WithLock(mutex, std::forward<Step>(step));
  }
  testing::TestLedger fake;
  std::mutex mutex;
  std::atomic<bool> down{false};  // like PostgreSQL unreachable: reading a position fails
};

// Every POST, in the order they were made, across the instances.
struct Post {
  std::string instance;
  std::string url;
  std::string id;
};
class Receipts {
 public:
  void Add(Post post) {
    std::lock_guard lock(mutex_);
    posts_.push_back(std::move(post));
  }
  std::vector<Post> All() {
    std::lock_guard lock(mutex_);
    return posts_;
  }
  std::size_t Size() {
    std::lock_guard lock(mutex_);
    return posts_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<Post> posts_;
};

class RecordingSender : public WebhookSender {
 public:
  RecordingSender(std::string instance, Receipts& receipts) : instance_(std::move(instance)), receipts_(receipts) {}
  PostOutcome Post(const PostRequest& request) override {
    receipts_.Add({instance_, request.url, request.message_id});
    return {true, 204, "", 1ms};
  }

 private:
  std::string instance_;
  Receipts& receipts_;
};

// Posts to one URL hang (like a receiver that never answers) until released
// or until the sender's timeout; the others are answered at once.
class HangingSender : public WebhookSender {
 public:
  HangingSender(std::string hanging_url, Receipts& receipts)
      : hanging_url_(std::move(hanging_url)), receipts_(receipts) {}
  PostOutcome Post(const PostRequest& request) override {
    if (request.url != hanging_url_) {
      receipts_.Add({"h", request.url, request.message_id});
      return {true, 204, "", 1ms};
    }
    ++hanging;
    std::unique_lock lock(mutex_);
    released_.wait_for(lock, 10s, [&] { return release_; });
    return {false, 0, "timeout", 10s};
  }
  void Release() {
    std::lock_guard lock(mutex_);
    release_ = true;
    released_.notify_all();
  }
  std::atomic<int> hanging{0};

 private:
  std::string hanging_url_;
  Receipts& receipts_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
};

// Posts to one URL fail at once (like a receiver refusing connections) while `down`; every other
// post, and that URL's once it is back, is answered at once.
class FlakySender : public WebhookSender {
 public:
  FlakySender(std::string flaky_url, Receipts& receipts) : flaky_url_(std::move(flaky_url)), receipts_(receipts) {}
  PostOutcome Post(const PostRequest& request) override {
    if (request.url == flaky_url_ && down) return {false, 0, "connection refused", 1ms};
    receipts_.Add({"f", request.url, request.message_id});
    return {true, 204, "", 1ms};
  }
  std::atomic<bool> down{true};

 private:
  std::string flaky_url_;
  Receipts& receipts_;
};

class WebhookDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    orders_topic = orders::testing::UniqueName("wh-orders");
    inventory_topic = orders::testing::UniqueName("wh-inventory");
    group = orders::testing::UniqueName("wh-group");
    ASSERT_EQ(orders::testing::CreateTopic(orders_topic, 6), "");
    ASSERT_EQ(orders::testing::CreateTopic(inventory_topic, 2), "");
    registry.fake.Add("ep_orders", {"order.*"});
    registry.fake.Add("ep_all", {"*"});
    auto created = platform::KafkaProducer::Create({orders::testing::KafkaBrokers(), "wh-dispatch-test", "", {}});
    ASSERT_TRUE(created) << created.error().message;
    producer = std::move(*created);
  }

  std::unique_ptr<Dispatcher> Instance(const std::string& name, WebhookSender* sender = nullptr) {
    DispatcherOptions options;
    options.kafka = {orders::testing::KafkaBrokers(), "wh-test-" + name, group, {}};
    options.topics = {orders_topic, inventory_topic};
    options.policy.retry_schedule = retry_schedule;
    options.workers = 4;  // one attempt per endpoint at a time: a quarter of the workers
    options.retry_every = 100ms;
    options.refresh_every = 500ms;
    options.policy.queue_per_endpoint = 20;
    senders.push_back(std::make_unique<RecordingSender>(name, receipts));
    return std::make_unique<Dispatcher>(std::move(options), registry, ledger, sender ? *sender : *senders.back(),
                                        metrics);
  }

  static std::size_t OwnedBy(std::initializer_list<Dispatcher*> instances, const std::string& topic) {
    std::size_t owned = 0;
    for (auto* instance : instances) owned += instance->Owned(topic).size();
    return owned;
  }

  // `count` events per subject: order-<n>:<seq> ids, so the order of posts can be checked.
  void Produce(const std::string& topic, const std::string& type, const std::string& prefix, int subjects, int count,
               int first_seq = 0) {
    for (int seq = first_seq; seq < first_seq + count; ++seq) {
      for (int n = 0; n < subjects; ++n) {
        const std::string key = prefix + "-" + std::to_string(n);
        const std::string id = key + ":" + std::to_string(seq);
        const platform::KafkaHeaders headers{{"ce_specversion", "1.0"},
                                             {"ce_id", id},
                                             {"ce_type", type},
                                             {"ce_source", "/test"},
                                             {"ce_time", "2026-12-05T01:00:00.000Z"},
                                             {"ce_subject", key},
                                             {"content-type", "application/json"}};
        ASSERT_TRUE(producer->Produce(topic, key, R"({"version":)" + std::to_string(seq) + "}", headers,
                                      [](const platform::DeliveryReport&) {}));
      }
    }
    ASSERT_TRUE(producer->Flush(10000));
  }

  // Each (endpoint, event) posted, each subject's events in sequence. With
  // `redelivery_allowed` (a rebalance took partitions away mid-flight), an
  // event may come again (same webhook-id) but never skip ahead of its subject.
  void ExpectEveryEventOncePerEndpointInOrder(std::size_t expected, bool redelivery_allowed = false) {
    const auto posts = receipts.All();
    std::set<std::pair<std::string, std::string>> unique;
    std::map<std::pair<std::string, std::string>, int> last_seq;
    for (const auto& post : posts) {
      const bool first_time = unique.insert({post.url, post.id}).second;
      if (!redelivery_allowed) {
        EXPECT_TRUE(first_time) << "posted twice: " << post.url << " " << post.id;
      }
      const auto colon = post.id.find(':');
      const auto subject = post.id.substr(0, colon);
      const int seq = std::stoi(post.id.substr(colon + 1));
      auto [it, first] = last_seq.try_emplace({post.url, subject}, seq);
      if (first) continue;
      if (redelivery_allowed) {
        EXPECT_LE(seq, it->second + 1) << post.url << " got " << subject << " out of order";
      } else {
        EXPECT_EQ(seq, it->second + 1) << post.url << " got " << subject << " out of order";
      }
      it->second = std::max(it->second, seq);
    }
    EXPECT_EQ(unique.size(), expected);
    if (!redelivery_allowed) {
      EXPECT_EQ(posts.size(), expected);
    }
  }

  std::string orders_topic, inventory_topic, group;
  std::vector<std::chrono::milliseconds> retry_schedule{100ms, 200ms};
  SharedRegistry registry;
  SharedLedger ledger;
  Receipts receipts;
  platform::MetricsRegistry metrics;
  std::vector<std::unique_ptr<RecordingSender>> senders;
  std::unique_ptr<platform::KafkaProducer> producer;
};

TEST_F(WebhookDispatchTest, TwoInstancesInOneGroupDeliverEachEventOncePerEndpointInOrder) {
  auto a = Instance("a");
  auto b = Instance("b");
  ASSERT_TRUE(a->Start());
  ASSERT_TRUE(b->Start());
  ASSERT_TRUE(Eventually(
      [&] {
        return OwnedBy({a.get(), b.get()}, orders_topic) == 6 && OwnedBy({a.get(), b.get()}, inventory_topic) == 2 &&
               !a->Owned(orders_topic).empty() && !b->Owned(orders_topic).empty();
      },
      30s))
      << "both instances own part of the orders topic";

  Produce(orders_topic, "order.status_changed.v1", "order", 12, 5);
  Produce(inventory_topic, "inventory.stock_set.v1", "product", 3, 4);
  const std::size_t expected = 12 * 5 * 2 + 3 * 4;  // both endpoints want orders, one wants stock
  EXPECT_TRUE(Eventually([&] { return receipts.Size() >= expected; }, 20s)) << receipts.Size();
  std::this_thread::sleep_for(500ms);  // room for a duplicate to show
  ExpectEveryEventOncePerEndpointInOrder(expected);
  std::set<std::string> instances;
  for (const auto& post : receipts.All()) instances.insert(post.instance);
  EXPECT_EQ(instances, (std::set<std::string>{"a", "b"}));

  a->Stop(2s);
  b->Stop(2s);
}

TEST_F(WebhookDispatchTest, PartitionsChangingHandsResumeWhereTheLastOwnerStopped) {
  auto a = Instance("a");
  ASSERT_TRUE(a->Start());
  ASSERT_TRUE(Eventually([&] { return a->Owned(orders_topic).size() == 6; }, 30s));
  Produce(orders_topic, "order.placed.v1", "order", 6, 3);
  ASSERT_TRUE(Eventually([&] { return receipts.Size() >= 6 * 3 * 2; }, 20s)) << receipts.Size();
  a->Stop(2s);

  // Written while no instance runs: the next owner must start where `a` stopped, not at the end.
  Produce(orders_topic, "order.status_changed.v1", "order", 6, 3, 3);
  auto b = Instance("b");
  ASSERT_TRUE(b->Start());
  EXPECT_TRUE(Eventually([&] { return receipts.Size() >= 6 * 6 * 2; }, 30s)) << receipts.Size();
  std::this_thread::sleep_for(500ms);
  ExpectEveryEventOncePerEndpointInOrder(6 * 6 * 2);

  // A rebalance while events flow: a third instance joins and takes partitions from `b`.
  auto c = Instance("c");
  ASSERT_TRUE(c->Start());
  for (int seq = 6; seq < 12; ++seq) {
    Produce(orders_topic, "order.status_changed.v1", "order", 6, 1, seq);
    std::this_thread::sleep_for(300ms);
  }
  ASSERT_TRUE(Eventually([&] { return !c->Owned(orders_topic).empty(); }, 30s));
  Produce(orders_topic, "order.status_changed.v1", "order", 6, 1, 12);
  EXPECT_TRUE(Eventually(
      [&] {
        std::set<std::pair<std::string, std::string>> unique;
        for (const auto& post : receipts.All()) unique.insert({post.url, post.id});
        return unique.size() >= 6 * 13 * 2;
      },
      30s));
  // What was in flight when `b` lost a partition may come again from `c`: at least once.
  ExpectEveryEventOncePerEndpointInOrder(6 * 13 * 2, true);
  b->Stop(2s);
  c->Stop(2s);
}

TEST_F(WebhookDispatchTest, WhileTheLedgerIsDownPartitionsWaitAndNothingIsSkipped) {
  auto first = Instance("first");
  ASSERT_TRUE(first->Start());
  ASSERT_TRUE(Eventually([&] { return first->Owned(orders_topic).size() == 6; }, 30s));
  first->Stop(2s);  // positions saved: the end of each partition

  ledger.down = true;
  auto a = Instance("a");
  ASSERT_TRUE(a->Start());
  Produce(orders_topic, "order.placed.v1", "order", 4, 2);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(receipts.Size(), 0u) << "nothing is read without its position";
  EXPECT_TRUE(a->Owned(orders_topic).empty());
  ledger.down = false;
  EXPECT_TRUE(Eventually([&] { return receipts.Size() >= 4 * 2 * 2; }, 30s)) << receipts.Size();
  std::this_thread::sleep_for(500ms);
  ExpectEveryEventOncePerEndpointInOrder(4 * 2 * 2);
  a->Stop(2s);
}

TEST_F(WebhookDispatchTest, AHangingEndpointDoesNotDelayTheOthers) {
  registry.fake.Add("ep_hanging", {"*"});
  HangingSender sender("http://receiver.test/ep_hanging", receipts);
  auto a = Instance("a", &sender);
  ASSERT_TRUE(a->Start());
  ASSERT_TRUE(Eventually([&] { return a->Owned(orders_topic).size() == 6; }, 30s));
  Produce(orders_topic, "order.placed.v1", "order", 30, 4);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(Eventually([&] { return receipts.Size() >= 30 * 4 * 2; }, 20s)) << receipts.Size();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 8s) << "the healthy endpoints waited for the hanging one";
  ExpectEveryEventOncePerEndpointInOrder(30 * 4 * 2);
  EXPECT_LE(sender.hanging.load(), 4) << "at most the endpoint's concurrency waits on it";
  // What the hanging endpoint could not hold waits in Kafka: the endpoint is parked on the
  // partitions (a row each), not written to the ledger event by event.
  EXPECT_TRUE(Eventually([&] { return ledger.WithLockDo([&] { return ledger.fake.ParkCount(); }) >= 1u; }, 5s));
  EXPECT_EQ(ledger.WithLockDo([&] { return ledger.fake.Count(DeliveryStatus::kPending); }), 0u);
  sender.Release();
  a->Stop(2s);
}

// Trace context end to end: an event with a traceparent Kafka header reaches a real receiver
// (its own process, through the real sender) with a traceparent of the same trace and a span of
// the dispatcher's own as its parent.
TEST_F(WebhookDispatchTest, TheReceiverSeesATraceparentInTheEventsTrace) {
  orders::testing::WebhookReceiver receiver({"--mode", "healthy", "--keep-alive"});
  ASSERT_NE(receiver.port(), 0);
  registry.fake.Add("ep_traced", {"*"}).url = receiver.Url("/traced");
  SenderSettings settings;
  settings.allow_private = true;
  HttpWebhookSender sender(settings);
  auto a = Instance("a", &sender);
  ASSERT_TRUE(a->Start());
  ASSERT_TRUE(Eventually([&] { return a->Owned(orders_topic).size() == 6; }, 30s));
  const std::string event_trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const platform::KafkaHeaders headers{{"ce_specversion", "1.0"},
                                       {"ce_id", "traced-1"},
                                       {"ce_type", "order.placed.v1"},
                                       {"ce_source", "/test"},
                                       {"ce_time", "2026-12-05T01:00:00.000Z"},
                                       {"ce_subject", "order-t"},
                                       {"content-type", "application/json"},
                                       {"traceparent", event_trace}};
  ASSERT_TRUE(
      producer->Produce(orders_topic, "order-t", R"({"version":1})", headers, [](const platform::DeliveryReport&) {}));
  ASSERT_TRUE(producer->Flush(10000));
  ASSERT_TRUE(Eventually([&] { return receiver.CountOf("traced-1") == 1; }, 20s));
  const auto received = receiver.Received();
  ASSERT_EQ(received.size(), 1u);
  const std::string sent = received[0]["headers"].value("traceparent", "");
  const auto parsed = codec::ParseTraceParent(sent);
  ASSERT_TRUE(parsed) << sent;
  EXPECT_EQ(parsed->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_NE(parsed->parent_id, "b7ad6b7169203331") << "the attempt is a span of its own";
  a->Stop(2s);
}

// The catch-up readers are consumers of their own, assigned one partition outside the group: a log
// marker reaches them as a marker (never as a record), in its place among the events.
TEST_F(WebhookDispatchTest, AnAssignedReaderGetsALogMarkerAsAMarkerBetweenTheEvents) {
  const platform::KafkaHeaders marker{{std::string(platform::kLogMarkerHeader), "test"}};
  const platform::KafkaHeaders event{{"ce_id", "e"}, {"ce_type", "order.placed.v1"}};
  for (const auto& [headers, key] : {std::pair{event, "order-1"}, std::pair{marker, ""}, std::pair{event, "order-1"}}) {
    ASSERT_TRUE(
        producer->Produce(orders_topic, 2, key, key[0] ? "{}" : "", headers, [](const platform::DeliveryReport&) {}));
  }
  ASSERT_TRUE(producer->Flush(10000));
  auto created = platform::KafkaConsumer::Create({orders::testing::KafkaBrokers(), "wh-assigned-reader", "", {}});
  ASSERT_TRUE(created) << created.error().message;
  auto& reader = **created;
  ASSERT_TRUE(reader.Assign(orders_topic, 2, 0));
  std::vector<std::pair<platform::PollResult::Kind, platform::Offset>> read;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (read.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto result = reader.Poll(200);
    if (result.kind == platform::PollResult::Kind::kRecord || result.kind == platform::PollResult::Kind::kMarker) {
      read.emplace_back(result.kind, result.record.offset);
    }
  }
  reader.Close(1000);
  using Kind = platform::PollResult::Kind;
  EXPECT_EQ(read, (std::vector<std::pair<Kind, platform::Offset>>{
                      {Kind::kRecord, 0}, {Kind::kMarker, 1}, {Kind::kRecord, 2}}));
}

// An endpoint parked while it refuses connections, with a log marker last in every partition: once it
// is back, its catch-up passes the markers, reaches what reading has read and ends the park, and
// reading hands it the next events itself.
TEST_F(WebhookDispatchTest, AParkedEndpointCatchesUpPastLogMarkersAndReadingTakesOverAgain) {
  retry_schedule = {100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 6400ms};
  registry.fake.Add("ep_flaky", {"order.*"});
  FlakySender sender("http://receiver.test/ep_flaky", receipts);
  auto a = Instance("a", &sender);
  ASSERT_TRUE(a->Start());
  ASSERT_TRUE(Eventually([&] { return a->Owned(orders_topic).size() == 6; }, 30s));
  Produce(orders_topic, "order.placed.v1", "order", 12, 3);
  ASSERT_TRUE(Eventually([&] { return ledger.WithLockDo([&] { return ledger.fake.ParkCount(); }) >= 1u; }, 10s))
      << "the refusing endpoint is parked";
  for (platform::Partition partition = 0; partition < 6; ++partition) {
    ASSERT_TRUE(producer->Produce(orders_topic, partition, "", "", {{std::string(platform::kLogMarkerHeader), "test"}},
                                  [](const platform::DeliveryReport&) {}));
  }
  ASSERT_TRUE(producer->Flush(10000));
  std::this_thread::sleep_for(300ms);  // reading passes the markers
  sender.down = false;
  auto unique_posts = [&] {
    std::set<std::pair<std::string, std::string>> unique;
    for (const auto& post : receipts.All()) unique.insert({post.url, post.id});
    return unique.size();
  };
  EXPECT_TRUE(Eventually(
      [&] { return unique_posts() >= 12 * 3 * 3 && ledger.WithLockDo([&] { return ledger.fake.ParkCount(); }) == 0u; },
      30s))
      << unique_posts() << " posts; a park whose partition ends with a marker must end without a later event";
  Produce(orders_topic, "order.status_changed.v1", "order", 12, 1, 3);
  EXPECT_TRUE(Eventually([&] { return unique_posts() >= 12 * 4 * 3; }, 20s)) << unique_posts();
  std::this_thread::sleep_for(500ms);
  ExpectEveryEventOncePerEndpointInOrder(12 * 4 * 3);
  a->Stop(2s);
}

}  // namespace
}  // namespace orders::notifier::webhooks

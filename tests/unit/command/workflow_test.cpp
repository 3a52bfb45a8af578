// The fulfilment workflow end to end in memory: real order and stock books and
// processors over an appender that acknowledges at once (or fails on demand),
// and a gateway the test answers by hand.
#include <gtest/gtest.h>

#include <set>

#include <deque>

#include <orders/codec/inventory_codec.hpp>
#include <orders/command/workflow.hpp>
#include <orders/domain/fulfilment.hpp>

namespace orders::command {
namespace {

using domain::PaymentStatus;
using domain::ReservationState;
using domain::Status;

std::string Header(const codec::EventRecord& record, std::string_view name) {
  const auto* value = codec::FindHeader(record.headers, name);
  return value ? *value : std::string();
}

const Caller kStaff{{domain::ActorRole::kStaff, "ops"}, "staff:ops", std::nullopt};
const domain::Timestamp kStart{std::chrono::milliseconds(1'800'000'000'000)};

// Acknowledges every record at once, unless told to fail the next ones.
class LogAppender : public EventAppender {
 public:
  void Append(const codec::EventRecord& record, std::int32_t, std::function<void(Appended)> done) override {
    if (fail_next > 0) {
      --fail_next;
      done({AppendOutcome::kFailed, std::nullopt});
      return;
    }
    records.push_back(record);
    done({AppendOutcome::kPersisted, std::nullopt});
  }
  void AppendInOrder(std::vector<ChainedAppend> chain, platform::Partition partition) override {
    std::vector<std::string> types;
    for (const auto& link : chain) types.push_back(Header(link.record, "ce_type"));
    chains.push_back(std::move(types));
    EventAppender::AppendInOrder(std::move(chain), partition);
  }
  std::vector<std::string> Types() const {
    std::vector<std::string> types;
    for (const auto& record : records) types.push_back(Header(record, "ce_type"));
    return types;
  }
  int fail_next = 0;
  std::vector<codec::EventRecord> records;
  std::vector<std::vector<std::string>> chains;  // the types of each chain handed over at once
};

// Like a real gateway: one authorization per order (the idempotency key), the
// same payment id when asked again. The test answers each call.
class ManualGateway : public PaymentGateway {
 public:
  void Authorize(AuthorizationRequest request, std::function<void(AuthorizationOutcome)> done) override {
    authorizations.push_back(request);
    pending_authorizations.push_back(std::move(done));
  }
  void Refund(RefundRequest request, std::function<void(RefundOutcome)> done) override {
    refunds.push_back(request);
    pending_refunds.push_back(std::move(done));
  }
  void Stop() override {}

  void Answer(AuthorizationOutcome outcome) {
    auto done = std::move(pending_authorizations.front());
    pending_authorizations.pop_front();
    done(std::move(outcome));
  }
  void AnswerRefund(RefundOutcome outcome) {
    auto done = std::move(pending_refunds.front());
    pending_refunds.pop_front();
    done(std::move(outcome));
  }

  std::vector<AuthorizationRequest> authorizations;
  std::vector<RefundRequest> refunds;
  std::deque<std::function<void(AuthorizationOutcome)>> pending_authorizations;
  std::deque<std::function<void(RefundOutcome)>> pending_refunds;
};

class WorkflowTest : public ::testing::Test {
 protected:
  WorkflowTest() { StartWorkflow(); }

  void StartWorkflow() {
    workflow_.reset();  // a restart: nothing but the books (the logs) survives
    WorkflowSettings settings;
    settings.payment_timeout = std::chrono::minutes(15);
    settings.sweep_interval = std::chrono::milliseconds(0);
    settings.first_retry = std::chrono::milliseconds(0);
    workflow_ = std::make_unique<Workflow>(WorkflowDeps{
        orders_, stocks_, processor_, inventory_, gateway_, [this](const std::string&) { return writes_orders_; },
        [this](const std::string&) { return writes_products_; },
        [this](std::chrono::steady_clock::time_point moment) {
          asked_read_through_.push_back(moment);
          return stock_read_through_;
        },
        [this] { return ready_; }, [this] { return now_; }, metrics_, settings});
    orders_.SetApplyListener([this](const std::string& id) { workflow_->Touch(id); });
    stocks_.SetApplyListener([this](const std::string& id) { workflow_->Touch(id); });
  }

  // Runs passes until the workflow has nothing more to do right now.
  void Settle() {
    for (int i = 0; i < 10; ++i) workflow_->RunOnce();
  }

  std::string Place(std::vector<domain::LineItem> items) {
    const std::string id = NewId();
    CommandResult result;
    processor_.Place({id, "c-1", std::move(items), "USD"}, std::nullopt, kStaff,
                     [&](CommandResult r) { result = std::move(r); });
    EXPECT_EQ(result.kind, CommandResult::Kind::kCreated);
    return id;
  }
  void SetStock(const std::string& product, std::int64_t on_hand) {
    StockResult result;
    inventory_.SetStock({product, on_hand}, kStaff, [&](StockResult r) { result = std::move(r); });
    ASSERT_EQ(result.kind, StockResult::Kind::kOk);
  }
  CommandResult Move(const std::string& id, Status to) {
    CommandResult result;
    processor_.ChangeStatus({id, to, std::nullopt, std::nullopt}, kStaff,
                            [&](CommandResult r) { result = std::move(r); });
    return result;
  }
  domain::Order Order(const std::string& id) const { return *orders_.Find(id); }
  ReservationState Reservation(const std::string& product, const std::string& id) const {
    return domain::ReservationOf(*stocks_.Find(product), id);
  }
  std::int64_t Reserved(const std::string& product) const { return stocks_.Find(product)->reserved; }
  std::string NewId() {
    const std::string n = std::to_string(++ids_);
    return "00000000-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
  }
  std::string ReasonOf(const std::string& id) const {
    for (auto it = orders_log_.records.rbegin(); it != orders_log_.records.rend(); ++it) {
      if (it->key == id && Header(*it, "ce_type") == "order.status_changed.v1") {
        return nlohmann::json::parse(it->value).value("reason", "");
      }
    }
    return {};
  }

  OrderBook orders_;
  StockBook stocks_;
  LogAppender orders_log_;
  LogAppender inventory_log_;
  ManualGateway gateway_;
  platform::MetricsRegistry metrics_;
  domain::Timestamp now_ = kStart;
  bool writes_orders_ = true;
  bool writes_products_ = true;
  bool stock_read_through_ = true;  // the inventory log read through any moment asked about
  std::vector<std::chrono::steady_clock::time_point> asked_read_through_;
  bool ready_ = true;
  int ids_ = 0;
  CommandProcessor processor_{{orders_,
                               orders_log_,
                               [this] { return now_; },
                               [this] { return NewId(); },
                               "/test",
                               [this](const std::string&) -> std::optional<std::int32_t> {
                                 if (!writes_orders_) return std::nullopt;
                                 return 0;
                               },
                               true,
                               {}}};
  InventoryProcessor inventory_{{stocks_, inventory_log_, [this] { return now_; }, [this] { return NewId(); }, "/test",
                                 [this](const std::string&) -> std::optional<std::int32_t> {
                                   if (!writes_products_) return std::nullopt;
                                   return 0;
                                 },
                                 [this](const std::string& order_id) { return orders_.TraceOf(order_id); }}};
  std::unique_ptr<Workflow> workflow_;
};

TEST_F(WorkflowTest, ATrackedOrderIsReservedThenPaidThenConfirmed) {
  SetStock("sku-a", 10);
  const auto id = Place({{"sku-a", 2, 100}, {"sku-b", 1, 50}, {"sku-a", 1, 100}});
  Settle();
  EXPECT_EQ(Reservation("sku-a", id), ReservationState::kHeld);
  EXPECT_EQ(Reserved("sku-a"), 3);  // lines of one product summed, untracked sku-b unlimited
  ASSERT_EQ(gateway_.authorizations.size(), 1u);
  EXPECT_EQ(gateway_.authorizations[0].order_id, id);
  EXPECT_EQ(gateway_.authorizations[0].amount_cents, 350);
  EXPECT_EQ(Order(id).status, Status::kPending);

  gateway_.Answer(PaymentAuthorization{"pay-1"});
  Settle();
  EXPECT_EQ(Order(id).status, Status::kConfirmed);
  EXPECT_EQ(Order(id).payment.status, PaymentStatus::kAuthorized);
  EXPECT_EQ(orders_log_.Types(),
            (std::vector<std::string>{"order.placed.v1", "order.payment_authorized.v1", "order.status_changed.v1"}));
  EXPECT_EQ(Header(orders_log_.records.back(), "orders_actor"), "service:workflow");
  EXPECT_EQ(Header(inventory_log_.records.back(), "orders_actor"), "service:workflow");
  EXPECT_EQ(workflow_->WaitingCount(), 0u);
  EXPECT_NE(metrics_.Render().find("orders_workflow_placed_to_confirmed_seconds_count 1"), std::string::npos);
}

TEST_F(WorkflowTest, TheConfirmationIsAppendedRightAfterTheAuthorizationWithoutAnotherPass) {
  SetStock("sku-a", 10);
  const auto id = Place({{"sku-a", 1, 100}});
  Settle();
  ASSERT_EQ(gateway_.authorizations.size(), 1u);

  gateway_.Answer(PaymentAuthorization{"pay-1"});  // no pass of the workflow after this
  EXPECT_EQ(Order(id).status, Status::kConfirmed);
  EXPECT_EQ(orders_log_.Types(),
            (std::vector<std::string>{"order.placed.v1", "order.payment_authorized.v1", "order.status_changed.v1"}));
  EXPECT_NE(metrics_.Render().find("orders_workflow_placed_to_confirmed_seconds_count 1"), std::string::npos);
  EXPECT_NE(metrics_.Render().find("orders_workflow_steps_total{step=\"confirm\"} 1"), std::string::npos);
  // Handed to the log with the authorization, not after its acknowledgement: one round trip fewer.
  EXPECT_EQ(orders_log_.chains,
            (std::vector<std::vector<std::string>>{{"order.payment_authorized.v1", "order.status_changed.v1"}}));

  Settle();  // the pass the append woke finds nothing left to do
  EXPECT_EQ(orders_log_.records.size(), 3u);
  EXPECT_EQ(workflow_->WaitingCount(), 0u);
}

TEST_F(WorkflowTest, EveryStepContinuesThePlacementsTraceInASpanOfItsOwn) {
  SetStock("sku-a", 10);
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  Caller caller = kStaff;
  caller.trace_parent = trace;
  const std::string id = NewId();
  processor_.Place({id, "c-1", {{"sku-a", 1, 100}}, "USD"}, std::nullopt, caller, [](CommandResult) {});
  Settle();
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  ASSERT_EQ(Order(id).status, Status::kConfirmed);

  std::set<std::string> spans;
  auto expect_in_trace = [&](const codec::EventRecord& record) {
    const std::string header = Header(record, "traceparent");
    ASSERT_EQ(header.size(), trace.size()) << Header(record, "ce_type");
    EXPECT_EQ(header.substr(3, 32), trace.substr(3, 32)) << Header(record, "ce_type");
    spans.insert(header.substr(36, 16));
  };
  for (const auto& record : orders_log_.records) expect_in_trace(record);
  expect_in_trace(inventory_log_.records.back());  // the reservation
  EXPECT_EQ(orders_log_.records.front().headers.size(), orders_log_.records.back().headers.size());
  EXPECT_EQ(spans.size(), orders_log_.records.size() + 1) << "each step is a span of its own";
}

TEST_F(WorkflowTest, NoConfirmationFollowsAnAuthorizationTheLogDidNotTake) {
  const auto id = Place({{"sku-b", 1, 50}});
  Settle();
  orders_log_.fail_next = 1;
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  EXPECT_EQ(Order(id).status, Status::kPending);
  EXPECT_EQ(orders_log_.records.size(), 1u);
  EXPECT_EQ(Order(id).payment.status, PaymentStatus::kPending);
  // It went with the authorization and failed with it.
  EXPECT_NE(metrics_.Render().find("orders_workflow_step_failures_total{step=\"confirm\"} 1"), std::string::npos);

  Settle();  // asked again with the same key, then confirmed
  ASSERT_EQ(gateway_.authorizations.size(), 2u);
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  EXPECT_EQ(Order(id).status, Status::kConfirmed);
}

TEST_F(WorkflowTest, ARefusalCancelsOutOfStockReleasesTheOtherProductsAndChargesNothing) {
  SetStock("sku-a", 10);
  SetStock("sku-b", 1);
  const auto id = Place({{"sku-a", 2, 100}, {"sku-b", 2, 100}});
  Settle();
  EXPECT_EQ(Order(id).status, Status::kCancelled);
  EXPECT_EQ(ReasonOf(id), "out_of_stock");
  EXPECT_EQ(Reservation("sku-a", id), ReservationState::kReleased);
  EXPECT_EQ(Reservation("sku-b", id), ReservationState::kRefused);
  EXPECT_EQ(Reserved("sku-a"), 0);
  EXPECT_TRUE(gateway_.authorizations.empty());
}

TEST_F(WorkflowTest, TheLastUnitsGoToTheFirstOrderAndTheNextIsOutOfStock) {
  SetStock("sku-a", 3);
  const auto first = Place({{"sku-a", 3, 100}});
  const auto second = Place({{"sku-a", 1, 100}});
  Settle();
  EXPECT_EQ(Reservation("sku-a", first), ReservationState::kHeld);
  EXPECT_EQ(Order(second).status, Status::kCancelled);
  EXPECT_EQ(ReasonOf(second), "out_of_stock");
  EXPECT_EQ(domain::Available(*stocks_.Find("sku-a")), 0);
}

TEST_F(WorkflowTest, ADeclinedPaymentCancelsAndReleases) {
  SetStock("sku-a", 10);
  const auto id = Place({{"sku-a", 1, 100}});
  Settle();
  gateway_.Answer(PaymentDecline{"insufficient funds"});
  Settle();
  EXPECT_EQ(Order(id).payment.status, PaymentStatus::kDeclined);
  EXPECT_EQ(Order(id).status, Status::kCancelled);
  EXPECT_EQ(ReasonOf(id), "payment_declined");
  EXPECT_EQ(Reservation("sku-a", id), ReservationState::kReleased);
}

TEST_F(WorkflowTest, AnOrderStillPendingAtTheDeadlineIsCancelledAndALateAuthorizationRefunded) {
  SetStock("sku-a", 10);
  const auto id = Place({{"sku-a", 1, 100}});
  Settle();
  ASSERT_EQ(gateway_.authorizations.size(), 1u);  // the gateway is slow to answer
  now_ = kStart + std::chrono::minutes(15);
  Settle();
  EXPECT_EQ(Order(id).status, Status::kCancelled);
  EXPECT_EQ(ReasonOf(id), "payment_timeout");
  EXPECT_EQ(Reservation("sku-a", id), ReservationState::kReleased);

  gateway_.Answer(PaymentAuthorization{"pay-late"});  // the money moved after all
  Settle();
  ASSERT_EQ(gateway_.refunds.size(), 1u);
  EXPECT_EQ(gateway_.refunds[0].payment_id, "pay-late");
  gateway_.AnswerRefund(PaymentRefund{});
  Settle();
  EXPECT_EQ(Order(id).payment.status, PaymentStatus::kRefunded);
  EXPECT_EQ(gateway_.refunds.size(), 1u);
}

TEST_F(WorkflowTest, AChargeWhoseAnswerWasLostUntilTheDeadlineIsFoundAfterTheCancellationAndRefunded) {
  SetStock("sku-a", 10);
  const auto id = Place({{"sku-a", 1, 100}});
  Settle();
  gateway_.Answer(PaymentFailure{"timeout"});  // the gateway charged, but its answer never arrived
  now_ = kStart + std::chrono::minutes(15);
  Settle();
  ASSERT_EQ(Order(id).status, Status::kCancelled);
  ASSERT_EQ(Order(id).payment.status, PaymentStatus::kPending);
  ASSERT_EQ(gateway_.authorizations.size(), 2u) << "asked again, with the same order, after the cancellation";
  EXPECT_EQ(gateway_.authorizations[1].order_id, id);
  gateway_.Answer(PaymentAuthorization{"pay-1"});  // what it did the first time
  Settle();
  ASSERT_EQ(gateway_.refunds.size(), 1u);
  gateway_.AnswerRefund(PaymentRefund{});
  Settle();
  EXPECT_EQ(Order(id).payment.status, PaymentStatus::kRefunded);
  EXPECT_EQ(workflow_->WaitingCount(), 0u);
}

TEST_F(WorkflowTest, CancellingAConfirmedOrderRefundsItOnceAndDeliveringCommitsTheStock) {
  SetStock("sku-a", 10);
  const auto cancelled = Place({{"sku-a", 1, 100}});
  const auto delivered = Place({{"sku-a", 2, 100}});
  Settle();
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  gateway_.Answer(PaymentAuthorization{"pay-2"});
  Settle();
  ASSERT_EQ(Move(cancelled, Status::kCancelled).kind, CommandResult::Kind::kOk);
  ASSERT_EQ(Move(delivered, Status::kDelivered).kind, CommandResult::Kind::kOk);
  Settle();
  ASSERT_EQ(gateway_.refunds.size(), 1u);
  gateway_.AnswerRefund(PaymentRefund{});
  Settle();
  EXPECT_EQ(Order(cancelled).payment.status, PaymentStatus::kRefunded);
  EXPECT_EQ(Reservation("sku-a", cancelled), ReservationState::kReleased);
  EXPECT_EQ(Reservation("sku-a", delivered), ReservationState::kCommitted);
  EXPECT_EQ(stocks_.Find("sku-a")->on_hand, 8);
  EXPECT_EQ(gateway_.refunds.size(), 1u);
}

TEST_F(WorkflowTest, PeopleMayCancelAPendingOrderButNotConfirmIt) {
  const auto id = Place({{"sku-b", 1, 100}});
  const auto refused = Move(id, Status::kConfirmed);
  ASSERT_EQ(refused.kind, CommandResult::Kind::kRejected);
  EXPECT_EQ(refused.rejection->problem, "awaiting-payment");
  EXPECT_EQ(Move(id, Status::kShipped).rejection->problem, "awaiting-payment");
  EXPECT_EQ(Move(id, Status::kCancelled).kind, CommandResult::Kind::kOk);
}

TEST_F(WorkflowTest, AFailedAuthorizationIsAskedAgainForTheSameOrder) {
  const auto id = Place({{"sku-b", 1, 100}});
  Settle();
  gateway_.Answer(PaymentFailure{"timeout"});
  Settle();
  ASSERT_EQ(gateway_.authorizations.size(), 2u);
  EXPECT_EQ(gateway_.authorizations[1].order_id, id);
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  Settle();
  EXPECT_EQ(Order(id).status, Status::kConfirmed);
  EXPECT_EQ(metrics_.Render().find("orders_workflow_step_failures_total{step=\"authorize\"} 1") != std::string::npos,
            true);
}

TEST_F(WorkflowTest, AnAnswerTheLogDidNotTakeIsAskedForAgainWithTheSameKey) {
  const auto id = Place({{"sku-b", 1, 100}});
  Settle();
  orders_log_.fail_next = 1;  // the authorization's event is lost: as if the process died before the append
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  Settle();
  EXPECT_EQ(Order(id).payment.status, PaymentStatus::kPending);
  ASSERT_EQ(gateway_.authorizations.size(), 2u);  // the same order id: the gateway answers with its first payment
  EXPECT_EQ(gateway_.authorizations[1].order_id, id);
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  Settle();
  EXPECT_EQ(Order(id).status, Status::kConfirmed);
  EXPECT_EQ(Order(id).payment.payment_id, "pay-1");
}

TEST_F(WorkflowTest, ARestartDerivesEveryPendingStepFromTheLogs) {
  SetStock("sku-a", 10);
  const auto id = Place({{"sku-a", 1, 100}});
  Settle();
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  // The process dies after the authorization is in the log, before the confirmation.
  orders_.SetApplyListener(nullptr);
  StartWorkflow();
  for (const auto& seen : {id}) workflow_->Touch(seen);  // a restart replays the log: every order is touched
  Settle();
  EXPECT_EQ(Order(id).status, Status::kConfirmed);
  EXPECT_EQ(gateway_.authorizations.size(), 1u);
}

TEST_F(WorkflowTest, NothingIsDoneForStreamsAnotherInstanceWritesNorBeforeTheLogsAreRead) {
  SetStock("sku-a", 10);
  ready_ = false;
  const auto id = Place({{"sku-a", 1, 100}});
  Settle();
  EXPECT_EQ(Reservation("sku-a", id), ReservationState::kNone);
  ready_ = true;
  writes_products_ = false;
  writes_orders_ = false;
  Settle();
  EXPECT_EQ(Reservation("sku-a", id), ReservationState::kNone);
  EXPECT_EQ(workflow_->WaitingCount(), 1u);  // watched, for when this instance takes the partitions over
  writes_products_ = true;
  Settle();
  EXPECT_EQ(Reservation("sku-a", id), ReservationState::kHeld);
  EXPECT_TRUE(gateway_.authorizations.empty());
  writes_orders_ = true;
  Settle();
  EXPECT_EQ(gateway_.authorizations.size(), 1u);
}

TEST_F(WorkflowTest, AProductAnotherInstanceWritesIsNotTakenForUntrackedBeforeTheInventoryLogIsReadThrough) {
  writes_products_ = false;
  stock_read_through_ = false;
  const auto before_placement = std::chrono::steady_clock::now();
  const auto id = Place({{"sku-late", 1, 100}});
  Settle();
  EXPECT_TRUE(gateway_.authorizations.empty());  // the product's first stock count may still be on its way
  ASSERT_FALSE(asked_read_through_.empty());
  EXPECT_GE(asked_read_through_.front(), before_placement);

  // It was: the product's writer had counted no stock left.
  writes_products_ = true;
  SetStock("sku-late", 0);
  writes_products_ = false;
  stock_read_through_ = true;
  workflow_->StockReadThrough();
  Settle();
  EXPECT_TRUE(gateway_.authorizations.empty());  // tracked after all: waits for the writer's answer
  writes_products_ = true;
  Settle();
  EXPECT_EQ(Order(id).status, Status::kCancelled);
  EXPECT_EQ(ReasonOf(id), "out_of_stock");
  EXPECT_TRUE(gateway_.authorizations.empty());
}

TEST_F(WorkflowTest, AnUntrackedProductAnotherInstanceWritesIsPaidForOnceTheInventoryLogIsReadThrough) {
  writes_products_ = false;
  stock_read_through_ = false;
  const auto id = Place({{"sku-free", 2, 100}});
  Settle();
  EXPECT_TRUE(gateway_.authorizations.empty());
  stock_read_through_ = true;
  workflow_->StockReadThrough();
  Settle();
  ASSERT_EQ(gateway_.authorizations.size(), 1u);
  gateway_.Answer(PaymentAuthorization{"pay-1"});
  Settle();
  EXPECT_EQ(Order(id).status, Status::kConfirmed);
}

}  // namespace
}  // namespace orders::command

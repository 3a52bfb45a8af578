// The command side of couriers and customer self-service without HTTP or Kafka: the caller
// (token principal -> actor, audit label), the delivery request bodies, the processor applying
// the permission table on the order's state, and the answers' statuses and problem types.

#include <gtest/gtest.h>

#include <deque>

#include <nlohmann/json.hpp>
#include <orders/command/caller.hpp>
#include <orders/command/command_processor.hpp>
#include <orders/command/http_answer.hpp>
#include <orders/command/request_parser.hpp>
#include <orders/testing/builders.hpp>

namespace orders::command {
namespace {

using domain::ActorRole;
using domain::RejectionKind;
using domain::Status;
using Kind = CommandResult::Kind;

// ---- Caller -------------------------------------------------------------------------------

TEST(Caller, APrincipalBecomesTheActorOfItsRoleWithAnAuditLabel) {
  const auto caller = CallerOf(platform::Principal{"courier-7", platform::Role::kCourier});
  EXPECT_EQ(caller.actor.role, ActorRole::kCourier);
  EXPECT_EQ(caller.actor.id, "courier-7");
  EXPECT_EQ(caller.audit, "courier:courier-7");
  EXPECT_EQ(CallerOf(platform::Principal{"ops", platform::Role::kStaff}).audit, "staff:ops");
  EXPECT_EQ(CallerOf(platform::Principal{"c-1", platform::Role::kCustomer}).actor.role, ActorRole::kCustomer);
  EXPECT_EQ(CallerOf(platform::Principal{"pay", platform::Role::kService}).audit, "service:pay");
}

TEST(Caller, WithoutAPrincipalTheCallerIsUnlabelledStaff) {
  const auto caller = CallerOf(std::nullopt);
  EXPECT_EQ(caller.actor.role, ActorRole::kStaff);
  EXPECT_FALSE(caller.audit.has_value());
}

TEST(Caller, TheAuditLabelIsAlwaysShortVisibleAscii) {
  EXPECT_EQ(AuditLabel(ActorRole::kStaff, "Ann Lee"), "staff:Ann%20Lee");
  EXPECT_EQ(AuditLabel(ActorRole::kStaff, "50%"), "staff:50%25");
  EXPECT_EQ(AuditLabel(ActorRole::kStaff, "\xC3\xA9"), "staff:%C3%A9");
  const auto longest = AuditLabel(ActorRole::kService, std::string(500, 'x'));
  EXPECT_EQ(longest.size(), codec::kMaxActorBytes);
  EXPECT_EQ(longest.substr(0, 9), "service:x");
  // What the command side writes, the decoder takes.
  auto record = codec::EncodeEvent(testing::Placed(), {"0b6e1a52-7d0c-4c51-9a36-0f2b3c4d5e6f", "/t", std::nullopt,
                                                       std::nullopt, AuditLabel(ActorRole::kStaff, "\t\xFF a")});
  EXPECT_TRUE(codec::DecodeEvent(record.key, record.value, record.headers).decoded);
}

TEST(Caller, AssignmentsAreRecordedAsTheCallersKind) {
  EXPECT_EQ(AssignedByOf({ActorRole::kCourier, "c"}), domain::AssignedBy::kCourier);
  EXPECT_EQ(AssignedByOf({ActorRole::kStaff, "ops"}), domain::AssignedBy::kStaff);
  EXPECT_EQ(AssignedByOf({ActorRole::kService, "dispatch"}), domain::AssignedBy::kService);
}

// ---- Request bodies ----------------------------------------------------------------------------

std::vector<std::string> Fields(const std::vector<domain::FieldError>& errors) {
  std::vector<std::string> fields;
  for (const auto& error : errors) fields.push_back(error.field);
  return fields;
}

TEST(ParseDeliveryBodies, AnAssignmentNamesExactlyOneCourier) {
  const auto parsed = ParseAssignCourier(testing::kOrderId, R"({"courierId":"courier-1"})");
  ASSERT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.command->courier_id, "courier-1");
  EXPECT_EQ(parsed.command->order_id, testing::kOrderId);
  EXPECT_EQ(Fields(ParseAssignCourier(testing::kOrderId, "{}").errors), std::vector<std::string>{"courierId"});
  EXPECT_EQ(Fields(ParseAssignCourier(testing::kOrderId, R"({"courierId":"c","by":"staff"})").errors),
            std::vector<std::string>{"by"});
  EXPECT_EQ(Fields(ParseAssignCourier(testing::kOrderId, R"({"courierId":7})").errors),
            std::vector<std::string>{"courierId"});
  for (const char* malformed : {"", "{", "[]", "null"}) {
    EXPECT_TRUE(ParseAssignCourier(testing::kOrderId, malformed).malformed) << malformed;
  }
}

TEST(ParseDeliveryBodies, AReleaseOrDeclineTakesAnOptionalReasonOrNoBodyAtAll) {
  const auto empty = ParseDeclineDelivery(testing::kOrderId, "");
  ASSERT_TRUE(empty.errors.empty());
  EXPECT_FALSE(empty.command->reason);
  const auto reasoned = ParseUnassignCourier(testing::kOrderId, R"({"reason":"sick"})");
  ASSERT_TRUE(reasoned.errors.empty());
  EXPECT_EQ(reasoned.command->reason, "sick");
  EXPECT_FALSE(reasoned.command->courier_id) << "the courier comes from the token, never the body";
  EXPECT_EQ(Fields(ParseDeclineDelivery(testing::kOrderId, R"({"courierId":"c"})").errors),
            std::vector<std::string>{"courierId"});
  EXPECT_TRUE(ParseUnassignCourier(testing::kOrderId, "{").malformed);
}

TEST(ParseDeliveryBodies, ACustomerMayLeaveItsIdOutOfAnOrder) {
  const auto parsed = ParsePlaceOrder(R"({"items":[{"productId":"p","quantity":1,"unitPriceCents":5}]})");
  EXPECT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.command->customer_id, "");
}

// ---- Processor ---------------------------------------------------------------------------------

class HeldAppender : public EventAppender {
 public:
  void Append(const codec::EventRecord& record, std::int32_t, std::function<void(Appended)> done) override {
    records.push_back(record);
    pending.push_back(std::move(done));
  }
  void SettleAll() {
    while (!pending.empty()) {
      auto done = std::move(pending.front());
      pending.pop_front();
      done({AppendOutcome::kPersisted, std::nullopt});
    }
  }
  std::vector<codec::EventRecord> records;
  std::deque<std::function<void(Appended)>> pending;
};

Caller As(ActorRole role, const std::string& id) { return {{role, id}, std::string(RoleName(role)) + ":" + id}; }

const Caller kStaff = As(ActorRole::kStaff, "ops");
const Caller kCustomer = As(ActorRole::kCustomer, "customer-1");  // the builders' orders are customer-1's
const Caller kOtherCustomer = As(ActorRole::kCustomer, "customer-2");
const Caller kCourier = As(ActorRole::kCourier, "courier-1");
const Caller kOtherCourier = As(ActorRole::kCourier, "courier-2");

class DeliveryProcessorTest : public ::testing::Test {
 protected:
  DeliveryProcessorTest()
      : processor_({book_, appender_, [] { return testing::At(); },
                    [this] {
                      const std::string n = std::to_string(++ids_);
                      return "00000000-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
                    },
                    "/test", [](const std::string&) -> std::optional<std::int32_t> { return 0; }}) {}

  template <typename Run>
  CommandResult Settled(Run run) {
    CommandResult result;
    run([&](CommandResult r) { result = std::move(r); });
    appender_.SettleAll();
    return result;
  }

  CommandResult Place(const Caller& caller, const std::string& customer = "customer-1") {
    auto command = testing::PlaceOrderCommand();
    command.customer_id = customer;
    return Settled([&](Reply reply) { processor_.Place(command, std::nullopt, caller, std::move(reply)); });
  }
  CommandResult Move(Status to, const Caller& caller) {
    return Settled([&](Reply reply) { processor_.ChangeStatus(testing::ChangeStatusCommand(to), caller, reply); });
  }
  CommandResult Assign(const std::string& courier, const Caller& caller) {
    return Settled([&](Reply reply) {
      processor_.AssignCourier({testing::kOrderId, courier, domain::AssignedBy::kStaff, std::nullopt}, caller, reply);
    });
  }
  CommandResult Release(const Caller& caller) {
    return Settled([&](Reply reply) {
      processor_.UnassignCourier({testing::kOrderId, std::nullopt, std::nullopt, std::nullopt}, caller, reply);
    });
  }
  CommandResult Decline(const Caller& caller) {
    return Settled([&](Reply reply) {
      processor_.DeclineDelivery({testing::kOrderId, "", std::nullopt, std::nullopt}, caller, reply);
    });
  }

  // customer-1's order, confirmed: open for delivery.
  void OpenOrder() {
    ASSERT_EQ(Place(kStaff).kind, Kind::kCreated);
    ASSERT_EQ(Move(Status::kConfirmed, kStaff).kind, Kind::kOk);
  }

  std::size_t Appended() const { return appender_.records.size(); }

  static RejectionKind KindOf(const CommandResult& result) {
    EXPECT_EQ(result.kind, Kind::kRejected);
    return result.rejection ? result.rejection->kind : RejectionKind::kInvalid;
  }

  int ids_ = 0;
  OrderBook book_;
  HeldAppender appender_;
  CommandProcessor processor_;
};

TEST_F(DeliveryProcessorTest, ACustomerPlacesForItselfOnlyAndACourierNever) {
  EXPECT_EQ(KindOf(Place(kOtherCustomer, "customer-1")), RejectionKind::kForbidden);
  EXPECT_EQ(KindOf(Place(kCourier, "courier-1")), RejectionKind::kForbidden);
  EXPECT_EQ(Appended(), 0u) << "refused before anything is appended";
  EXPECT_EQ(Place(kCustomer, "customer-1").kind, Kind::kCreated);
}

TEST_F(DeliveryProcessorTest, EveryEventCarriesTheCallersAuditLabel) {
  ASSERT_EQ(Place(kCustomer).kind, Kind::kCreated);
  ASSERT_EQ(Move(Status::kConfirmed, kStaff).kind, Kind::kOk);
  ASSERT_EQ(Decline(kOtherCourier).kind, Kind::kOk);
  ASSERT_EQ(Assign("courier-1", kCourier).kind, Kind::kOk);
  ASSERT_EQ(Release(kCourier).kind, Kind::kOk);
  const Caller unlabelled{{ActorRole::kStaff, ""}, std::nullopt};
  ASSERT_EQ(Assign("courier-3", unlabelled).kind, Kind::kOk);
  const std::vector<std::string> expected = {"customer:customer-1", "staff:ops",         "courier:courier-2",
                                             "courier:courier-1",   "courier:courier-1", "<absent>"};
  ASSERT_EQ(Appended(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto* actor = codec::FindHeader(appender_.records[i].headers, codec::kActorHeader);
    EXPECT_EQ(actor ? *actor : "<absent>", expected[i]) << i;
  }
}

TEST_F(DeliveryProcessorTest, StatusChangesAreCheckedOnTheOrdersState) {
  OpenOrder();
  EXPECT_EQ(KindOf(Move(Status::kProcessing, kCustomer)), RejectionKind::kForbidden);
  EXPECT_EQ(KindOf(Move(Status::kCancelled, kOtherCustomer)), RejectionKind::kNotFound);
  EXPECT_EQ(KindOf(Move(Status::kOutForDelivery, kCourier)), RejectionKind::kForbidden);
  ASSERT_EQ(Assign("courier-1", kCourier).kind, Kind::kOk);
  EXPECT_EQ(KindOf(Move(Status::kOutForDelivery, kOtherCourier)), RejectionKind::kForbidden);
  const auto picked_up = Move(Status::kOutForDelivery, kCourier);
  ASSERT_EQ(picked_up.kind, Kind::kOk);
  EXPECT_EQ(picked_up.order->status, Status::kOutForDelivery);
  EXPECT_EQ(Appended(), 4u);
}

TEST_F(DeliveryProcessorTest, AnInvalidCommandIsABadRequestWhoeverSendsIt) {
  OpenOrder();
  auto command = testing::ChangeStatusCommand(Status::kCancelled);
  command.reason = std::string(300, 'r');
  const auto result = Settled([&](Reply reply) { processor_.ChangeStatus(command, kOtherCustomer, std::move(reply)); });
  EXPECT_EQ(KindOf(result), RejectionKind::kInvalid);
}

TEST_F(DeliveryProcessorTest, ACourierAcceptsForItselfAndItsKindIsRecorded) {
  OpenOrder();
  EXPECT_EQ(KindOf(Assign("courier-2", kCourier)), RejectionKind::kForbidden);
  const auto accepted = Assign("courier-1", kCourier);
  ASSERT_EQ(accepted.kind, Kind::kOk);
  EXPECT_EQ(accepted.order->courier_id, "courier-1");
  const auto decoded = codec::DecodeEvent(appender_.records.back().key, appender_.records.back().value,
                                          appender_.records.back().headers);
  ASSERT_TRUE(decoded.decoded);
  EXPECT_EQ(std::get<domain::CourierAssigned>(decoded.decoded->event).by, domain::AssignedBy::kCourier)
      << "whatever the command said, the caller decides `by`";
  const auto late = Assign("courier-2", kOtherCourier);
  EXPECT_EQ(KindOf(late), RejectionKind::kTransitionNotAllowed);
  EXPECT_EQ(late.rejection->problem, "delivery-taken");
}

TEST_F(DeliveryProcessorTest, CustomersLearnNothingAboutOtherCustomersDeliveries) {
  OpenOrder();
  EXPECT_EQ(KindOf(Assign("customer-1", kCustomer)), RejectionKind::kForbidden);
  EXPECT_EQ(KindOf(Assign("customer-2", kOtherCustomer)), RejectionKind::kNotFound);
  EXPECT_EQ(KindOf(Release(kOtherCustomer)), RejectionKind::kNotFound);
  EXPECT_EQ(KindOf(Decline(kOtherCustomer)), RejectionKind::kNotFound);
  EXPECT_EQ(KindOf(Decline(kCustomer)), RejectionKind::kForbidden);
}

TEST_F(DeliveryProcessorTest, ACourierReleasesOnlyItsOwnDeliveryStaffAnyone) {
  OpenOrder();
  ASSERT_EQ(Assign("courier-1", kCourier).kind, Kind::kOk);
  EXPECT_EQ(KindOf(Release(kOtherCourier)), RejectionKind::kForbidden);
  const auto released = Release(kCourier);
  ASSERT_EQ(released.kind, Kind::kOk);
  EXPECT_TRUE(released.order->courier_id.empty());
  ASSERT_EQ(Assign("courier-2", kStaff).kind, Kind::kOk);
  EXPECT_EQ(Release(kStaff).kind, Kind::kOk);
}

TEST_F(DeliveryProcessorTest, OnlyCouriersDecline) {
  OpenOrder();
  EXPECT_EQ(KindOf(Decline(kStaff)), RejectionKind::kForbidden);
  EXPECT_EQ(KindOf(Decline(As(ActorRole::kService, "dispatch"))), RejectionKind::kForbidden);
  const auto declined = Decline(kCourier);
  ASSERT_EQ(declined.kind, Kind::kOk);
  EXPECT_TRUE(domain::HasDeclined(*declined.order, "courier-1"));
  EXPECT_EQ(Decline(kCourier).order->version, declined.order->version) << "declining again appends nothing";
}

TEST_F(DeliveryProcessorTest, AMissingOrderIsNotFoundForEveryone) {
  for (const Caller& caller : {kStaff, kCustomer, kCourier}) {
    EXPECT_EQ(KindOf(Assign("courier-1", caller)), RejectionKind::kNotFound);
    EXPECT_EQ(KindOf(Move(Status::kCancelled, caller)), RejectionKind::kNotFound);
    EXPECT_EQ(KindOf(Release(caller)), RejectionKind::kNotFound);
  }
}

// ---- Answers ----------------------------------------------------------------------------------

TEST(DeliveryAnswers, ForbiddenIs403AndDeliveryConflictsAreNamed) {
  const auto forbidden =
      AnswerFor({Kind::kRejected, std::nullopt, domain::Rejection{RejectionKind::kForbidden, "not yours", {}, {}}});
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(nlohmann::json::parse(forbidden.body)["detail"], "not yours");
  const auto taken =
      AnswerFor({Kind::kRejected, std::nullopt,
                 domain::Rejection{RejectionKind::kTransitionNotAllowed, "taken", {}, "delivery-taken"}});
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(nlohmann::json::parse(taken.body)["type"], "urn:orders:problem:delivery-taken");
  const auto plain =
      AnswerFor({Kind::kRejected, std::nullopt, domain::Rejection{RejectionKind::kTransitionNotAllowed, "no", {}, {}}});
  EXPECT_EQ(nlohmann::json::parse(plain.body)["type"], "urn:orders:problem:conflict");
}

}  // namespace
}  // namespace orders::command

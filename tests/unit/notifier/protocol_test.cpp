#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/codec/event_codec.hpp>
#include <orders/codec/json_read.hpp>
#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/notifier/protocol.hpp>
#include <orders/testing/builders.hpp>

namespace orders::notifier {
namespace {

using Type = ClientMessage::Type;

TEST(Protocol, SubscribeSelectors) {
  auto by_order = ParseClientMessage(std::string(R"({"type":"subscribe","orderId":")") + testing::kOrderId +
                                     R"(","sinceVersion":3})");
  ASSERT_EQ(by_order.type, Type::kSubscribe);
  EXPECT_EQ(by_order.selector.kind, Selector::Kind::kOrder);
  EXPECT_EQ(by_order.since_version, 3);
  EXPECT_EQ(ParseClientMessage(R"({"type":"subscribe","customerId":"alice"})").selector.kind,
            Selector::Kind::kCustomer);
  EXPECT_EQ(ParseClientMessage(R"({"type":"unsubscribe","all":true})").type, Type::kUnsubscribe);
  EXPECT_EQ(ParseClientMessage(R"({"type":"ping"})").type, Type::kPing);
}

TEST(Protocol, BareOrderIdAndJsonStringAreLookups) {
  EXPECT_EQ(ParseClientMessage(testing::kOrderId).type, Type::kLookup);
  EXPECT_EQ(ParseClientMessage(std::string(" ") + testing::kOrderId + "\n").type, Type::kLookup);
  EXPECT_EQ(ParseClientMessage(std::string("\"") + testing::kOrderId + "\"").type, Type::kLookup);
}

TEST(Protocol, BadMessagesAreInvalidWithAReason) {
  for (const char* text :
       {"", "{", "[]", "42", "\"not-an-id\"", R"({"type":"dance"})", R"({"type":"subscribe"})",
        R"({"type":"subscribe","orderId":"x"})", R"({"type":"subscribe","all":false})",
        R"({"type":"subscribe","customerId":"a b"})", R"({"type":"subscribe","all":true,"customerId":"a"})",
        R"({"type":"subscribe","customerId":"a","sinceVersion":1})",
        R"({"type":"subscribe","orderId":"6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c","sinceVersion":-1})"}) {
    const auto message = ParseClientMessage(text);
    EXPECT_EQ(message.type, Type::kInvalid) << text;
    EXPECT_FALSE(message.error.empty()) << text;
  }
  EXPECT_EQ(ParseClientMessage(std::string(kMaxClientMessageBytes + 1, ' ')).type, Type::kInvalid);
}

TEST(Protocol, UpdateForAPlacementCarriesTheOrderAndNullPreviousStatus) {
  std::optional<domain::Order> order;
  domain::Apply(order, testing::Placed());
  const auto update = nlohmann::json::parse(UpdateMessage(testing::Placed(), nullptr, *order));
  EXPECT_EQ(update["type"], "update");
  EXPECT_EQ(update["event"], "order.placed");
  EXPECT_FALSE(update.contains("courierId"));
  EXPECT_EQ(update["status"], "pending");
  EXPECT_TRUE(update["previousStatus"].is_null());
  EXPECT_EQ(update["order"]["totalCents"], 3000);
}

TEST(Protocol, UpdateForAStatusChange) {
  auto changed = testing::Changed(2, domain::Status::kPending, domain::Status::kCancelled);
  changed.reason = "no stock";
  std::optional<domain::Order> order;
  domain::Apply(order, testing::Placed());
  const domain::Order before = *order;
  domain::Apply(order, changed);
  const auto update = nlohmann::json::parse(UpdateMessage(changed, &before, *order));
  EXPECT_EQ(update["version"], 2);
  EXPECT_EQ(update["event"], "order.status_changed");
  EXPECT_FALSE(update.contains("order")) << "only a placement or an order entering a list carries it";
  EXPECT_EQ(update["status"], "cancelled");
  EXPECT_EQ(update["previousStatus"], "pending");
  EXPECT_EQ(update["reason"], "no stock");
}

TEST(Protocol, UpdatesForPaymentEventsCarryThePaymentAndADeclinesReason) {
  std::optional<domain::Order> order;
  domain::Apply(order, testing::Placed());
  const domain::Order before = *order;
  const domain::PaymentAuthorized authorized{testing::kOrderId, 2, testing::At(), "pay-1", 3000};
  ASSERT_EQ(domain::Apply(order, authorized), domain::ApplyOutcome::kApplied);
  const auto update = nlohmann::json::parse(UpdateMessage(authorized, &before, *order));
  EXPECT_EQ(update["event"], "order.payment_authorized");
  EXPECT_EQ(update["version"], 2);
  EXPECT_EQ(update["status"], "pending");
  EXPECT_EQ(update["payment"],
            (nlohmann::json{{"status", "authorized"}, {"paymentId", "pay-1"}, {"amountCents", 3000}}));
  EXPECT_FALSE(update.contains("reason"));

  std::optional<domain::Order> declined_order;
  domain::Apply(declined_order, testing::Placed());
  const domain::PaymentDeclined declined{testing::kOrderId, 2, testing::At(), "insufficient_funds"};
  ASSERT_EQ(domain::Apply(declined_order, declined), domain::ApplyOutcome::kApplied);
  const auto decline = nlohmann::json::parse(UpdateMessage(declined, &before, *declined_order));
  EXPECT_EQ(decline["reason"], "insufficient_funds");
  EXPECT_EQ(decline["payment"]["status"], "declined");
}

// The workflow's whole story, one event at a time, as a live view receives it: each update names its
// event and carries the payment after it, whatever the event's type.
TEST(Protocol, EveryUpdateNamesItsEventAndCarriesThePaymentAfterIt) {
  using domain::Status;
  const domain::Event story[] = {
      testing::Placed(),
      domain::PaymentAuthorized{testing::kOrderId, 2, testing::At(), "pay-1", 3000},
      testing::Changed(3, Status::kPending, Status::kConfirmed),
      domain::CourierAssigned{testing::kOrderId, 4, testing::At(), "rider-7", domain::AssignedBy::kStaff},
      domain::CourierUnassigned{testing::kOrderId, 5, testing::At(), "rider-7", std::nullopt},
      domain::DeliveryDeclined{testing::kOrderId, 6, testing::At(), "rider-8", std::nullopt},
      domain::StatusChanged{testing::kOrderId, 7, testing::At(), Status::kConfirmed, Status::kCancelled,
                            "customer_request"},
      domain::PaymentRefunded{testing::kOrderId, 8, testing::At(), "pay-1", 3000},
  };
  const nlohmann::json pending{{"status", "pending"}, {"amountCents", 3000}};
  const nlohmann::json authorized{{"status", "authorized"}, {"paymentId", "pay-1"}, {"amountCents", 3000}};
  const nlohmann::json refunded{{"status", "refunded"}, {"paymentId", "pay-1"}, {"amountCents", 3000}};
  const struct {
    const char* event;
    const char* status;
    nlohmann::json payment;
  } expected[] = {{"order.placed", "pending", pending},
                  {"order.payment_authorized", "pending", authorized},
                  {"order.status_changed", "confirmed", authorized},
                  {"order.courier_assigned", "confirmed", authorized},
                  {"order.courier_unassigned", "confirmed", authorized},
                  {"order.delivery_declined", "confirmed", authorized},
                  {"order.status_changed", "cancelled", authorized},
                  {"order.payment_refunded", "cancelled", refunded}};
  std::optional<domain::Order> order;
  for (std::size_t i = 0; i < std::size(story); ++i) {
    const std::optional<domain::Order> before = order;
    ASSERT_EQ(domain::Apply(order, story[i]), domain::ApplyOutcome::kApplied) << i;
    const auto update = nlohmann::json::parse(UpdateMessage(story[i], before ? &*before : nullptr, *order));
    EXPECT_EQ(update["version"], i + 1);
    EXPECT_EQ(update["event"], expected[i].event) << i;
    EXPECT_EQ(update["status"], expected[i].status) << i;
    EXPECT_EQ(update["payment"], expected[i].payment) << i;
  }
}

// The update as a tree, the way the message was defined before it was written
// as text: the text must be its DumpJson, byte for byte, for every event and view.
std::string UpdateAsTree(const domain::Event& event, const domain::Order* before, const domain::Order& after,
                         UpdateView view) {
  nlohmann::json message{{"type", "update"},
                         {"orderId", domain::OrderIdOf(event)},
                         {"version", domain::VersionOf(event)},
                         {"event", codec::EventName(event)},
                         {"status", domain::ToString(after.status)},
                         {"previousStatus", before ? nlohmann::json(domain::ToString(before->status)) : nullptr},
                         {"at", codec::FormatTimestamp(domain::TimeOf(event))}};
  std::visit(
      [&](const auto& payload) {
        if constexpr (requires { payload.reason.has_value(); }) {
          if (payload.reason) message["reason"] = *payload.reason;
        } else if constexpr (requires { payload.reason; }) {
          message["reason"] = payload.reason;
        }
      },
      event);
  message["payment"] = codec::PaymentToJson(after.payment);
  if (!after.courier_id.empty()) message["courierId"] = after.courier_id;
  if (view.open) message["open"] = *view.open;
  if (view.with_order || !before) message["order"] = codec::OrderToJson(after);
  return codec::DumpJson(message);
}

TEST(Protocol, TheUpdateTextIsExactlyTheDumpOfItsTreeForEveryEventAndView) {
  using domain::Status;
  int checked = 0;
  for (const std::string& awkward :
       std::vector<std::string>{"plain", "say \"hi\" \\ ok", "caf\xc3\xa9 \xe2\x82\xac", "lone \x80 byte",
                                std::string("nul\0in", 6), "tab\tnew\nline </script>"}) {
    const domain::Event story[] = {
        testing::Placed(),
        domain::PaymentAuthorized{testing::kOrderId, 2, testing::At(), awkward, 3000},
        testing::Changed(3, Status::kPending, Status::kConfirmed),
        domain::CourierAssigned{testing::kOrderId, 4, testing::At(), awkward, domain::AssignedBy::kStaff},
        domain::CourierUnassigned{testing::kOrderId, 5, testing::At(), awkward, awkward},
        domain::DeliveryDeclined{testing::kOrderId, 6, testing::At(), "rider-8", std::nullopt},
        domain::StatusChanged{testing::kOrderId, 7, testing::At(1764000000123), Status::kConfirmed, Status::kCancelled,
                              awkward},
        domain::PaymentRefunded{testing::kOrderId, 8, testing::At(), awkward, 3000},
    };
    std::optional<domain::Order> order;
    for (const auto& event : story) {
      const std::optional<domain::Order> before = order;
      ASSERT_EQ(domain::Apply(order, event), domain::ApplyOutcome::kApplied) << codec::EventName(event);
      for (const UpdateView view :
           {UpdateView{}, UpdateView{true, std::nullopt}, UpdateView{false, true}, UpdateView{true, false}}) {
        const domain::Order* previous = before ? &*before : nullptr;
        EXPECT_EQ(UpdateMessage(event, previous, *order, view), UpdateAsTree(event, previous, *order, view))
            << codec::EventName(event) << " with " << awkward;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6 * 8 * 4);
}

TEST(Protocol, AFreeOrdersUpdatesSayItsPaymentIsNotRequired) {
  auto free = testing::Placed();
  for (auto& item : free.items) item.unit_price_cents = 0;
  free.total_cents = 0;
  std::optional<domain::Order> order;
  domain::Apply(order, free);
  const auto update = nlohmann::json::parse(UpdateMessage(free, nullptr, *order));
  EXPECT_EQ(update["payment"], (nlohmann::json{{"status", "not_required"}, {"amountCents", 0}}));
}

TEST(Protocol, SnapshotsCarryEachOrdersPayment) {
  std::optional<domain::Order> order;
  domain::Apply(order, testing::Placed());
  ASSERT_EQ(domain::Apply(order, domain::PaymentDeclined{testing::kOrderId, 2, testing::At(), "card_expired"}),
            domain::ApplyOutcome::kApplied);
  const nlohmann::json declined{{"status", "declined"}, {"amountCents", 3000}};
  EXPECT_EQ(nlohmann::json::parse(SnapshotMessage(*order))["order"]["payment"], declined);
  const auto pages = SnapshotPages({Selector::Kind::kAll, {}}, {&*order});
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(pages[0])["orders"][0]["payment"], declined);
}

TEST(Protocol, LookupAnswers) { EXPECT_EQ(LookupAnswer(nullptr), R"({"error":"Order not found"})"); }

}  // namespace
}  // namespace orders::notifier

namespace orders::notifier {
namespace {

using nlohmann::json;

domain::CourierAssigned AssignedTo(const std::string& courier, std::int64_t version) {
  return domain::CourierAssigned{testing::kOrderId, version, testing::At(1764000002000), courier,
                                 domain::AssignedBy::kCourier};
}

TEST(Protocol, CourierAndOpenDeliveriesSelectors) {
  const auto courier = ParseClientMessage(R"({"type":"subscribe","courierId":"rider-7"})");
  ASSERT_EQ(courier.type, ClientMessage::Type::kSubscribe);
  EXPECT_EQ(courier.selector, (Selector{Selector::Kind::kCourier, "rider-7"}));
  const auto open = ParseClientMessage(R"({"type":"unsubscribe","openDeliveries":true})");
  ASSERT_EQ(open.type, ClientMessage::Type::kUnsubscribe);
  EXPECT_EQ(open.selector.kind, Selector::Kind::kOpenDeliveries);
  for (const char* text : {R"({"type":"subscribe","courierId":""})", R"({"type":"subscribe","courierId":"a b"})",
                           R"({"type":"subscribe","courierId":7})", R"({"type":"subscribe","openDeliveries":false})",
                           R"({"type":"subscribe","openDeliveries":"yes"})",
                           R"({"type":"subscribe","openDeliveries":true,"courierId":"r"})",
                           R"({"type":"subscribe","courierId":"r","sinceVersion":1})",
                           R"({"type":"subscribe","openDeliveries":true,"sinceVersion":1})"}) {
    const auto message = ParseClientMessage(text);
    EXPECT_EQ(message.type, ClientMessage::Type::kInvalid) << text;
    EXPECT_FALSE(message.error.empty()) << text;
  }
}

TEST(Protocol, TopicSelectorsAreEventNamesStreamWildcardsOrStar) {
  for (const char* topic : {"order.status_changed", "order.*", "inventory.*", "inventory.stock_set", "*"}) {
    const auto subscribe = ParseClientMessage(nlohmann::json{{"type", "subscribe"}, {"topic", topic}}.dump());
    ASSERT_EQ(subscribe.type, ClientMessage::Type::kSubscribe) << topic << ": " << subscribe.error;
    EXPECT_EQ(subscribe.selector, (Selector{Selector::Kind::kTopic, topic}));
  }
  EXPECT_EQ(ParseClientMessage(R"({"type":"unsubscribe","topic":"order.*"})").type, ClientMessage::Type::kUnsubscribe);
  for (const char* text :
       {R"({"type":"subscribe","topic":"order.status_changed.v1"})", R"({"type":"subscribe","topic":"user.created"})",
        R"({"type":"subscribe","topic":"order"})", R"({"type":"subscribe","topic":"*.placed"})",
        R"({"type":"subscribe","topic":""})", R"({"type":"subscribe","topic":["order.*"]})",
        R"({"type":"subscribe","topic":"order.*","all":true})",
        R"({"type":"subscribe","topic":"order.*","sinceVersion":1})"}) {
    const auto message = ParseClientMessage(text);
    EXPECT_EQ(message.type, ClientMessage::Type::kInvalid) << text;
    EXPECT_FALSE(message.error.empty()) << text;
    EXPECT_LE(message.error.size(), 80u) << text;
  }
}

TEST(Protocol, ATopicMessageCarriesTheEventNameItsIdAndItsPayload) {
  EXPECT_EQ(nlohmann::json::parse(TopicMessage("inventory.stock_set", "e-1", {{"productId", "sku-1"}, {"onHand", 3}})),
            (nlohmann::json{{"type", "message"},
                            {"topic", "inventory.stock_set"},
                            {"id", "e-1"},
                            {"payload", {{"productId", "sku-1"}, {"onHand", 3}}}}));
}

TEST(Protocol, UpdateForACourierEventNamesItAndTheCourierAndKeepsTheStatus) {
  std::optional<domain::Order> order;
  domain::Apply(order, testing::Placed());
  domain::Apply(order, testing::Changed(2, domain::Status::kPending, domain::Status::kConfirmed));
  const domain::Order before = *order;
  ASSERT_EQ(domain::Apply(order, AssignedTo("rider-7", 3)), domain::ApplyOutcome::kApplied);
  const auto update = json::parse(UpdateMessage(AssignedTo("rider-7", 3), &before, *order, {true, false}));
  EXPECT_EQ(update["event"], "order.courier_assigned");
  EXPECT_EQ(update["courierId"], "rider-7");
  EXPECT_EQ(update["status"], "confirmed");
  EXPECT_EQ(update["previousStatus"], "confirmed");
  EXPECT_EQ(update["open"], false);
  EXPECT_EQ(update["order"]["courierId"], "rider-7");

  const domain::Order assigned = *order;
  const domain::CourierUnassigned released{testing::kOrderId, 4, testing::At(1764000003000), "rider-7",
                                           std::string("flat tyre")};
  ASSERT_EQ(domain::Apply(order, released), domain::ApplyOutcome::kApplied);
  const auto release = json::parse(UpdateMessage(released, &assigned, *order, {false, true}));
  EXPECT_EQ(release["event"], "order.courier_unassigned");
  EXPECT_FALSE(release.contains("courierId")) << "the order has no courier any more";
  EXPECT_EQ(release["reason"], "flat tyre");
  EXPECT_EQ(release["open"], true);
  EXPECT_FALSE(release.contains("order"));
}

TEST(Protocol, ResultCarriesTheRequestIdStatusAndBody) {
  EXPECT_EQ(json::parse(ResultMessage("r-1", 409, {{"status", 409}})),
            (json{{"type", "result"}, {"requestId", "r-1"}, {"status", 409}, {"body", {{"status", 409}}}}));
}

TEST(Protocol, CommandMessagesParseAndTheirSizeBoundIsLargerThanOtherMessages) {
  const auto command =
      ParseClientMessage(R"({"type":"command","requestId":"r-1","name":"changeStatus","args":{"orderId":")" +
                         std::string(testing::kOrderId) + R"(","status":"cancelled"}})");
  ASSERT_EQ(command.type, ClientMessage::Type::kCommand) << command.error;
  EXPECT_EQ(command.command.request_id, "r-1");
  EXPECT_EQ(command.command.name, CommandName::kChangeStatus);

  // A command with a 100-line order passes 4 KiB; a subscribe that long does not.
  json items = json::array();
  for (int i = 0; i < 100; ++i)
    items.push_back({{"productId", std::string(64, 'p')}, {"quantity", 1}, {"unitPriceCents", 1}});
  const std::string place =
      json{{"type", "command"}, {"requestId", "r-2"}, {"name", "placeOrder"}, {"args", {{"items", items}}}}.dump();
  ASSERT_GT(place.size(), kMaxClientMessageBytes);
  EXPECT_EQ(ParseClientMessage(place).type, ClientMessage::Type::kCommand);
  const auto long_subscribe = ParseClientMessage(R"({"type":"subscribe","all":true,"pad":")" +
                                                 std::string(kMaxClientMessageBytes, ' ') + "\"}");
  EXPECT_EQ(long_subscribe.type, ClientMessage::Type::kInvalid);
  EXPECT_TRUE(long_subscribe.too_large);
  const auto huge = ParseClientMessage(std::string(kMaxCommandMessageBytes + 1, ' '));
  EXPECT_TRUE(huge.too_large);
}

}  // namespace
}  // namespace orders::notifier

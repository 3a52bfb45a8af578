#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
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
  const auto update = nlohmann::json::parse(UpdateMessage(testing::Placed(), &*order));
  EXPECT_EQ(update["type"], "update");
  EXPECT_EQ(update["status"], "pending");
  EXPECT_TRUE(update["previousStatus"].is_null());
  EXPECT_EQ(update["order"]["totalCents"], 3000);
}

TEST(Protocol, UpdateForAStatusChange) {
  auto changed = testing::Changed(2, domain::Status::kPending, domain::Status::kCancelled);
  changed.reason = "no stock";
  const auto update = nlohmann::json::parse(UpdateMessage(changed, nullptr));
  EXPECT_EQ(update["version"], 2);
  EXPECT_EQ(update["status"], "cancelled");
  EXPECT_EQ(update["previousStatus"], "pending");
  EXPECT_EQ(update["reason"], "no stock");
}

TEST(Protocol, LookupAnswers) { EXPECT_EQ(LookupAnswer(nullptr), R"({"error":"Order not found"})"); }

}  // namespace
}  // namespace orders::notifier

#include <gtest/gtest.h>

#include <orders/domain/validation.hpp>
#include <orders/testing/builders.hpp>

namespace orders::domain {
namespace {

std::vector<std::string> Fields(const PlaceOrder& command) {
  std::vector<std::string> fields;
  for (const auto& error : Validate(command)) fields.push_back(error.field);
  return fields;
}

TEST(Validation, DefaultCommandIsValid) { EXPECT_TRUE(Validate(testing::PlaceOrderCommand()).empty()); }

TEST(Validation, OrderIdMustBeACanonicalLowerCaseUuid) {
  EXPECT_TRUE(IsValidOrderId("6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c"));
  EXPECT_FALSE(IsValidOrderId("6F1C2B7E-8A4D-4E3B-9C1A-2D3E4F5A6B7C"));
  EXPECT_FALSE(IsValidOrderId("6f1c2b7e8a4d4e3b9c1a2d3e4f5a6b7c"));
  EXPECT_FALSE(IsValidOrderId("6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7"));
  EXPECT_FALSE(IsValidOrderId("6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7g"));
  EXPECT_FALSE(IsValidOrderId(""));
}

TEST(Validation, CustomerIdLimits) {
  EXPECT_TRUE(IsValidCustomerId("a"));
  EXPECT_TRUE(IsValidCustomerId(std::string(64, 'z')));
  EXPECT_TRUE(IsValidCustomerId("A.b_c-9"));
  EXPECT_FALSE(IsValidCustomerId(""));
  EXPECT_FALSE(IsValidCustomerId(std::string(65, 'z')));
  EXPECT_FALSE(IsValidCustomerId("a b"));
  EXPECT_FALSE(IsValidCustomerId("caf\xC3\xA9"));
}

TEST(Validation, CurrencyIsThreeUpperCaseLetters) {
  EXPECT_TRUE(IsValidCurrency("EUR"));
  EXPECT_FALSE(IsValidCurrency("EU"));
  EXPECT_FALSE(IsValidCurrency("EURO"));
  EXPECT_FALSE(IsValidCurrency("eur"));
  EXPECT_FALSE(IsValidCurrency("E1R"));
}

TEST(Validation, ItemCountMustBeOneToHundred) {
  auto command = testing::PlaceOrderCommand();
  command.items.clear();
  EXPECT_EQ(Fields(command), std::vector<std::string>{"items"});
  command.items.assign(100, LineItem{"p", 1, 1});
  EXPECT_TRUE(Fields(command).empty());
  command.items.assign(101, LineItem{"p", 1, 1});
  EXPECT_EQ(Fields(command), std::vector<std::string>{"items"});
}

TEST(Validation, ItemBoundsAreInclusive) {
  auto command = testing::PlaceOrderCommand();
  command.items = {{std::string(64, 'p'), 10000, 100000000}, {"q", 1, 0}};
  EXPECT_TRUE(Fields(command).empty());
  command.items = {{std::string(65, 'p'), 10001, 100000001}, {"", 0, -1}};
  EXPECT_EQ(Fields(command),
            (std::vector<std::string>{"items/0/productId", "items/0/quantity", "items/0/unitPriceCents",
                                      "items/1/productId", "items/1/quantity", "items/1/unitPriceCents"}));
}

TEST(Validation, PrintableTextIsWellFormedUtf8WithoutControlCharacters) {
  EXPECT_TRUE(IsPrintableText(""));
  EXPECT_TRUE(IsPrintableText("sku-1 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xA6"));  // é, €, a 4-byte emoji
  EXPECT_TRUE(IsPrintableText("\xC2\xA0"));                                         // U+00A0: first after C1
  for (const std::string control :
       {std::string(1, '\0'), std::string("\t"), std::string("\n"), std::string("\x1F"), std::string("\x7F"),
        std::string("\xC2\x80"), std::string("\xC2\x85"), std::string("\xC2\x9F")}) {
    EXPECT_FALSE(IsPrintableText("a" + control + "b")) << "control character " << ::testing::PrintToString(control);
  }
  for (const std::string broken : {std::string("\xC3\x28"), std::string("\xC3"), std::string("\x80"),
                                   std::string("\xC0\xAF"), std::string("\xE0\x80\xAF"), std::string("\xED\xA0\x80"),
                                   std::string("\xF4\x90\x80\x80"), std::string("\xFF")}) {
    EXPECT_FALSE(IsPrintableText("a" + broken)) << "not UTF-8 " << ::testing::PrintToString(broken);
  }
}

TEST(Validation, ProductIdAndReasonRefuseControlCharacters) {
  auto place = testing::PlaceOrderCommand();
  place.items[1].product_id = "sku\x1B[31m";
  EXPECT_EQ(Fields(place), std::vector<std::string>{"items/1/productId"});
  place.items[1].product_id = "sku\xC2\x9B";  // C1 CSI
  EXPECT_EQ(Fields(place), std::vector<std::string>{"items/1/productId"});
  place.items[1].product_id = "sku\xFF";
  EXPECT_EQ(Fields(place), std::vector<std::string>{"items/1/productId"});

  auto change = testing::ChangeStatusCommand(domain::Status::kCancelled);
  change.reason = "out of stock\r\nX-Injected: 1";
  ASSERT_EQ(Validate(change).size(), 1u);
  EXPECT_EQ(Validate(change)[0].field, "reason");
  change.reason = std::string("no\0pe", 6);
  EXPECT_EQ(Validate(change).size(), 1u);
  change.reason = "caf\xC3\xA9 closed";
  EXPECT_TRUE(Validate(change).empty());
}

TEST(Validation, LargestOrderTotalFitsInInt64) {
  std::vector<LineItem> items(100, LineItem{"p", 10000, 100000000});
  EXPECT_EQ(TotalCents(items), 100LL * 10000 * 100000000);
}

}  // namespace
}  // namespace orders::domain

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

TEST(Validation, LargestOrderTotalFitsInInt64) {
  std::vector<LineItem> items(100, LineItem{"p", 10000, 100000000});
  EXPECT_EQ(TotalCents(items), 100LL * 10000 * 100000000);
}

}  // namespace
}  // namespace orders::domain

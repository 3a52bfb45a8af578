#include <gtest/gtest.h>

#include <memory>
#include <orders/platform/result.hpp>
#include <string>

namespace orders::platform {
namespace {

Result<std::unique_ptr<int>> MakeNumber(bool succeed) {
  if (!succeed) return Fail("the number is unavailable");
  return std::make_unique<int>(7);
}

Result<void> DoSomething(bool succeed) {
  if (!succeed) return Fail("it did not work");
  return {};
}

TEST(Result, CarriesAMoveOnlyValueOnSuccess) {
  Result<std::unique_ptr<int>> number = MakeNumber(true);
  ASSERT_TRUE(number.ok());
  std::unique_ptr<int> taken = std::move(number).value();
  EXPECT_EQ(*taken, 7);
}

TEST(Result, CarriesTheErrorOnFailure) {
  Result<std::unique_ptr<int>> number = MakeNumber(false);
  EXPECT_FALSE(number);
  EXPECT_EQ(number.error().message, "the number is unavailable");
}

TEST(Result, VoidResultIsOkOrAnError) {
  EXPECT_TRUE(DoSomething(true).ok());
  Result<void> failed = DoSomething(false);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "it did not work");
}

}  // namespace
}  // namespace orders::platform

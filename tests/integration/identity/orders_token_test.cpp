// orders-token, the CLI that mints local tokens: what it prints verifies with
// the same secret, and bad input is refused with a clear message.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <orders/platform/token_verifier.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

struct Run {
  int status = -1;
  std::string output;
};

// Runs orders-token with `arguments` under `environment` (replacing the inherited one).
Run OrdersToken(const std::string& arguments, const std::string& environment) {
  const std::string command =
      "env -i " + environment + " " + std::string(ORDERS_TOKEN_BINARY) + " " + arguments + " 2>&1";
  Run run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer{};
  while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) run.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// JWT_SECRET=<the test secret>, for the tool's environment.
std::string SecretVariable() {
  std::string variable = "JWT_SECRET=";
  variable.append(kTestJwtSecret);
  return variable;
}

platform::TokenCheck Verify(const std::string& token) {
  return platform::TokenVerifier(platform::TokenRules::Hs256(kTestJwtSecret))
      .Verify(token, std::chrono::system_clock::now());
}

TEST(OrdersToken, PrintsATokenThatVerifiesWithTheSecretFromTheEnvironment) {
  const auto run = OrdersToken("--role staff --sub ops --ttl 1h", SecretVariable());
  ASSERT_EQ(run.status, 0) << run.output;
  const auto check = Verify(Trimmed(run.output));
  ASSERT_TRUE(check.principal) << check.error;
  EXPECT_EQ(check.principal->subject, "ops");
  EXPECT_EQ(check.principal->role, platform::Role::kStaff);
  const auto left = check.principal->expires_at - std::chrono::system_clock::now();
  EXPECT_GT(left, std::chrono::minutes(59));
  EXPECT_LE(left, std::chrono::minutes(61));
}

TEST(OrdersToken, ReadsTheSecretRunShCreatesInTheDataFolder) {
  const auto data = std::filesystem::temp_directory_path() / UniqueName("orders-data");
  std::filesystem::create_directories(data / "secrets");
  std::ofstream(data / "secrets" / "jwt_secret") << kTestJwtSecret << "\n";
  const auto run = OrdersToken("--role customer --sub customer-7", "ORDERS_DATA=" + data.string());
  std::filesystem::remove_all(data);
  ASSERT_EQ(run.status, 0) << run.output;
  const auto check = Verify(Trimmed(run.output));
  ASSERT_TRUE(check.principal) << check.error;
  EXPECT_EQ(check.principal->subject, "customer-7");
  EXPECT_EQ(check.principal->role, platform::Role::kCustomer);
}

TEST(OrdersToken, MintsACourierTokenForAShift) {
  const auto run = OrdersToken("--role courier --sub courier-2 --ttl 8h", SecretVariable());
  ASSERT_EQ(run.status, 0) << run.output;
  const auto check = Verify(Trimmed(run.output));
  ASSERT_TRUE(check.principal) << check.error;
  EXPECT_EQ(check.principal->subject, "courier-2");
  EXPECT_EQ(check.principal->role, platform::Role::kCourier);
  const auto left = check.principal->expires_at - std::chrono::system_clock::now();
  EXPECT_GT(left, std::chrono::hours(8) - std::chrono::minutes(1));
  EXPECT_LE(left, std::chrono::hours(8) + std::chrono::minutes(1));
}

TEST(OrdersToken, RefusesBadInputWithAClearMessage) {
  const std::string secret = SecretVariable();
  const auto role = OrdersToken("--role admin", secret);
  EXPECT_EQ(role.status, 2);
  EXPECT_NE(role.output.find("--role must be customer, courier, staff or service"), std::string::npos) << role.output;
  for (const char* ttl : {"1y", "0h", "-1h", "h", "9999d", "1.5h"}) {
    const auto run = OrdersToken(std::string("--role staff --ttl ") + ttl, secret);
    EXPECT_EQ(run.status, 2) << ttl;
    EXPECT_NE(run.output.find("--ttl must be"), std::string::npos) << run.output;
  }
  const auto missing = OrdersToken("--role staff", "ORDERS_DATA=/nonexistent");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output.find("no secret"), std::string::npos) << missing.output;
  const auto flag = OrdersToken("--role staff --secret a-secret-that-is-long-enough-for-hs256", "");
  EXPECT_EQ(flag.status, 2);
  EXPECT_NE(flag.output.find("JWT_SECRET"), std::string::npos) << flag.output;
}

}  // namespace
}  // namespace orders::testing

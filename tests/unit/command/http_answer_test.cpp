#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/command/http_answer.hpp>
#include <orders/testing/builders.hpp>

namespace orders::command {
namespace {

using Kind = CommandResult::Kind;
using domain::RejectionKind;

domain::Order AnOrder() {
  std::optional<domain::Order> state;
  domain::Apply(state, testing::Placed());
  return *state;
}

CommandResult Rejected(RejectionKind kind) {
  return {Kind::kRejected, std::nullopt, domain::Rejection{kind, "why", {}}};
}

std::string HeaderOf(const HttpAnswer& answer, const std::string& name) {
  for (const auto& [key, value] : answer.headers) {
    if (key == name) return value;
  }
  return {};
}

TEST(HttpAnswer, CreatedCarriesLocationAndETag) {
  const auto answer = AnswerFor({Kind::kCreated, AnOrder(), std::nullopt});
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(HeaderOf(answer, "Location"), std::string("/orders/") + testing::kOrderId);
  EXPECT_EQ(HeaderOf(answer, "ETag"), "\"1\"");
  EXPECT_EQ(nlohmann::json::parse(answer.body)["status"], "pending");
}

TEST(HttpAnswer, EveryOutcomeHasItsContractStatus) {
  EXPECT_EQ(AnswerFor({Kind::kOk, AnOrder(), std::nullopt}).status, 200);
  EXPECT_EQ(AnswerFor({Kind::kIdempotencyMismatch, std::nullopt, std::nullopt}).status, 422);
  EXPECT_EQ(AnswerFor({Kind::kUnavailable, std::nullopt, std::nullopt}).status, 503);
  EXPECT_EQ(AnswerFor({Kind::kBusy, std::nullopt, std::nullopt}).status, 503);
  EXPECT_EQ(AnswerFor(Rejected(RejectionKind::kInvalid)).status, 400);
  EXPECT_EQ(AnswerFor(Rejected(RejectionKind::kNotFound)).status, 404);
  EXPECT_EQ(AnswerFor(Rejected(RejectionKind::kAlreadyExists)).status, 409);
  EXPECT_EQ(AnswerFor(Rejected(RejectionKind::kTransitionNotAllowed)).status, 409);
  EXPECT_EQ(AnswerFor(Rejected(RejectionKind::kVersionMismatch)).status, 412);
}

TEST(HttpAnswer, ErrorsAreProblemJsonAndUnavailableSaysWhenToRetry) {
  const auto answer = AnswerFor({Kind::kUnavailable, std::nullopt, std::nullopt});
  EXPECT_EQ(answer.content_type, "application/problem+json");
  EXPECT_EQ(HeaderOf(answer, "Retry-After"), "1");
  const auto body = nlohmann::json::parse(answer.body);
  for (const char* field : {"type", "title", "status", "detail"}) EXPECT_TRUE(body.contains(field)) << field;
  EXPECT_EQ(body["status"], 503);
}

TEST(HttpAnswer, BadRequestListsTheOffendingFields) {
  const auto answer = BadRequestAnswer("bad", {{"customerId", "is required"}, {"items/0/quantity", "too big"}});
  const auto body = nlohmann::json::parse(answer.body);
  ASSERT_EQ(body["errors"].size(), 2u);
  EXPECT_EQ(body["errors"][1]["field"], "items/0/quantity");
}

}  // namespace
}  // namespace orders::command

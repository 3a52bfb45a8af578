#include <orders/command/http_answer.hpp>

#include <orders/codec/inventory_codec.hpp>
#include <orders/codec/order_json.hpp>

namespace orders::command {
namespace {

constexpr const char* kProblemPrefix = "urn:orders:problem:";

HttpAnswer AnswerForRejection(const domain::Rejection& rejection) {
  switch (rejection.kind) {
    case domain::RejectionKind::kInvalid:
      return BadRequestAnswer(rejection.detail, rejection.fields);
    case domain::RejectionKind::kNotFound:
      return ProblemAnswer(platform::NotFoundProblem(rejection.detail));
    case domain::RejectionKind::kAlreadyExists:
    case domain::RejectionKind::kTransitionNotAllowed:
      return ProblemAnswer(
          {409, "Conflict", rejection.detail, {}, rejection.problem.empty() ? "" : kProblemPrefix + rejection.problem});
    case domain::RejectionKind::kForbidden:
      return ProblemAnswer({403, "Forbidden", rejection.detail, {}, {}});
    case domain::RejectionKind::kVersionMismatch:
      return ProblemAnswer({412, "Precondition Failed", rejection.detail, {}, {}});
  }
  return ProblemAnswer(platform::InternalProblem());
}

}  // namespace

HttpAnswer BadRequestAnswer(std::string detail, const std::vector<domain::FieldError>& fields) {
  platform::Problem problem{400, "Bad Request", std::move(detail), {}, {}};
  const std::size_t shown = std::min<std::size_t>(fields.size(), 50);
  for (std::size_t i = 0; i < shown; ++i) problem.errors.push_back({fields[i].field, fields[i].reason});
  return ProblemAnswer(problem);
}

HttpAnswer AnswerForOrder(int status, const domain::Order& order) {
  HttpAnswer answer;
  answer.status = status;
  answer.body = codec::OrderJsonText(order);
  answer.headers.emplace_back("ETag", "\"" + std::to_string(order.version) + "\"");
  if (status == 201) answer.headers.emplace_back("Location", "/orders/" + order.order_id);
  return answer;
}

HttpAnswer AnswerFor(const CommandResult& result) {
  using Kind = CommandResult::Kind;
  switch (result.kind) {
    case Kind::kCreated:
      return AnswerForOrder(201, *result.order);
    case Kind::kOk:
      return AnswerForOrder(200, *result.order);
    case Kind::kIdempotencyMismatch:
      return ProblemAnswer(
          {422, "Unprocessable Content", "This Idempotency-Key was used with a different request body.", {}, {}});
    case Kind::kUnavailable:
      return ProblemAnswer(platform::UnavailableProblem(
          "The event log did not confirm the command; it was not applied or its outcome is being checked. "
          "Retry shortly (with the same Idempotency-Key for POST)."));
    case Kind::kNotOwner:
      return ProblemAnswer(platform::UnavailableProblem(
          "Another command-service instance handles this order right now; retry shortly."));
    case Kind::kBusy:
      return ProblemAnswer(platform::UnavailableProblem("Too many commands are waiting for this order."));
    case Kind::kRejected:
      break;
  }
  return AnswerForRejection(*result.rejection);
}

HttpAnswer AnswerFor(const StockResult& result) {
  using Kind = StockResult::Kind;
  switch (result.kind) {
    case Kind::kOk: {
      if (!result.stock) return ProblemAnswer(platform::NotFoundProblem("This product's stock is not tracked."));
      HttpAnswer answer;
      answer.status = 200;
      answer.body = codec::DumpJson(codec::StockToJson(*result.stock));
      return answer;
    }
    case Kind::kUnavailable:
      return ProblemAnswer(platform::UnavailableProblem(
          "The event log did not confirm the stock change; it was not applied or its outcome is being checked. "
          "Retry shortly."));
    case Kind::kNotOwner:
      return ProblemAnswer(platform::UnavailableProblem(
          "Another command-service instance handles this product right now, or the inventory stream is not "
          "ready yet; retry shortly."));
    case Kind::kBusy:
      return ProblemAnswer(platform::UnavailableProblem("Too many commands are waiting for this product."));
    case Kind::kRejected:
      break;
  }
  return AnswerForRejection(*result.rejection);
}

}  // namespace orders::command

#pragma once
// The one mapping from command outcomes to HTTP answers (status, headers,
// body). Pure, so every status of the contract is unit-tested here.

#include <string>
#include <utility>
#include <vector>

#include <orders/command/command_processor.hpp>
#include <orders/domain/validation.hpp>
#include <orders/platform/problem.hpp>

namespace orders::command {

struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

HttpAnswer AnswerFor(const CommandResult& result);
HttpAnswer AnswerForOrder(int status, const domain::Order& order);
HttpAnswer ProblemAnswer(const platform::Problem& problem);
HttpAnswer BadRequestAnswer(std::string detail, const std::vector<domain::FieldError>& fields);

}  // namespace orders::command

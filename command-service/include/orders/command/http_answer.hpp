#pragma once
// The one mapping from command outcomes to HTTP answers (status, headers,
// body). Pure, so every status of the contract is unit-tested here.

#include <string>
#include <utility>
#include <vector>

#include <orders/command/command_processor.hpp>
#include <orders/command/inventory_processor.hpp>
#include <orders/domain/validation.hpp>
#include <orders/platform/pistache/answer.hpp>
#include <orders/platform/problem.hpp>

namespace orders::command {

using HttpAnswer = platform::pistache_http::Answer;
using platform::pistache_http::ProblemAnswer;

HttpAnswer AnswerFor(const CommandResult& result);
// 200 {productId, onHand, reserved, available, version} or the problem.
HttpAnswer AnswerFor(const StockResult& result);
HttpAnswer AnswerForOrder(int status, const domain::Order& order);
HttpAnswer BadRequestAnswer(std::string detail, const std::vector<domain::FieldError>& fields);

}  // namespace orders::command

#include <orders/platform/pistache/answer.hpp>

namespace orders::platform::pistache_http {

Answer ProblemAnswer(const Problem& problem) {
  Answer answer;
  answer.status = problem.status;
  answer.content_type = kProblemContentType;
  answer.body = RenderProblem(problem);
  if (problem.status == 503) answer.headers.emplace_back("Retry-After", "1");
  return answer;
}

}  // namespace orders::platform::pistache_http

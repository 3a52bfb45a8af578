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

std::string WireResponse(int status, std::string_view reason, const HeaderList& headers, std::string_view body) {
  std::string wire = "HTTP/1.1 " + std::to_string(status) + " ";
  wire.append(reason);
  wire += "\r\n";
  for (const auto& [name, value] : headers) {
    wire += name;
    wire += ": ";
    wire += value;
    wire += "\r\n";
  }
  wire += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  wire.append(body);
  return wire;
}

}  // namespace orders::platform::pistache_http

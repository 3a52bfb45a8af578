#pragma once
// RFC 9457 problem details, the error body of every HTTP API:
// {type, title, status, detail, errors?:[{field, reason}]}, served as
// application/problem+json. `detail` must never carry internal text
// (exception messages, SQL, library errors).

#include <string>
#include <vector>

namespace orders::platform {

inline constexpr const char* kProblemContentType = "application/problem+json";

struct ProblemField {
  std::string field;
  std::string reason;
};

struct Problem {
  int status = 500;
  std::string title;
  std::string detail;
  std::vector<ProblemField> errors;
  std::string type;  // defaults to a URN from the status
};

std::string RenderProblem(const Problem& problem);

// Common problems.
Problem NotFoundProblem(std::string detail = "No such resource.");
Problem MethodNotAllowedProblem(std::string detail);
Problem InternalProblem();
Problem UnavailableProblem(std::string detail);

}  // namespace orders::platform

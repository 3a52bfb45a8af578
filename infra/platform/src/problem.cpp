#include <orders/platform/problem.hpp>

#include <nlohmann/json.hpp>

namespace orders::platform {
namespace {

std::string DefaultType(int status) {
  switch (status) {
    case 400:
      return "urn:orders:problem:bad-request";
    case 401:
      return "urn:orders:problem:unauthorized";
    case 403:
      return "urn:orders:problem:forbidden";
    case 404:
      return "urn:orders:problem:not-found";
    case 405:
      return "urn:orders:problem:method-not-allowed";
    case 409:
      return "urn:orders:problem:conflict";
    case 412:
      return "urn:orders:problem:precondition-failed";
    case 413:
      return "urn:orders:problem:payload-too-large";
    case 414:
      return "urn:orders:problem:uri-too-long";
    case 415:
      return "urn:orders:problem:unsupported-media-type";
    case 422:
      return "urn:orders:problem:unprocessable";
    case 429:
      return "urn:orders:problem:rate-limited";
    case 431:
      return "urn:orders:problem:header-fields-too-large";
    case 501:
      return "urn:orders:problem:not-implemented";
    case 503:
      return "urn:orders:problem:unavailable";
    default:
      return "urn:orders:problem:error";
  }
}

}  // namespace

std::string RenderProblem(const Problem& problem) {
  nlohmann::json body{{"type", problem.type.empty() ? DefaultType(problem.status) : problem.type},
                      {"title", problem.title},
                      {"status", problem.status},
                      {"detail", problem.detail}};
  if (!problem.errors.empty()) {
    auto& errors = body["errors"] = nlohmann::json::array();
    for (const auto& error : problem.errors) errors.push_back({{"field", error.field}, {"reason", error.reason}});
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Problem NotFoundProblem(std::string detail) { return {404, "Not Found", std::move(detail), {}, {}}; }

Problem MethodNotAllowedProblem(std::string detail) { return {405, "Method Not Allowed", std::move(detail), {}, {}}; }

Problem InternalProblem() {
  return {500, "Internal Server Error", "The server could not complete the request.", {}, {}};
}

Problem UnavailableProblem(std::string detail) { return {503, "Service Unavailable", std::move(detail), {}, {}}; }

}  // namespace orders::platform

#pragma once
// A whole HTTP answer (status, headers, body), built by pure code and sent by
// an Exchange. Knows nothing of Pistache, so answer-building code is tested
// without a server.

#include <string>
#include <utility>
#include <vector>

#include <orders/platform/problem.hpp>

namespace orders::platform::pistache_http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Answer {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;
  std::string body;
};

// problem+json; a 503 also says when to retry (Retry-After: 1).
Answer ProblemAnswer(const Problem& problem);

}  // namespace orders::platform::pistache_http

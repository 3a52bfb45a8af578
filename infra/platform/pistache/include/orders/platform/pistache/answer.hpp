#pragma once
// A whole HTTP answer (status, headers, body), built by pure code and sent by
// an Exchange. Knows nothing of Pistache, so answer-building code is tested
// without a server.

#include <string>
#include <string_view>
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

// A whole HTTP/1.1 response as its bytes: the status line, `headers` in
// their order, Content-Length, the body. The one place responses are
// serialised: answers are written to the connection as raw bytes (see
// exchange.hpp for why not through Pistache's writer).
std::string WireResponse(int status, std::string_view reason, const HeaderList& headers, std::string_view body);

}  // namespace orders::platform::pistache_http

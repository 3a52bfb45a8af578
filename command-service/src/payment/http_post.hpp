#pragma once
// A minimal blocking HTTP/1.1 POST client with one deadline for the whole
// exchange (connect, send, headers and body). It runs only on the payment
// gateway's own I/O threads, never on a service event loop. Plain http://:
// the gateway sits next to the service (TLS belongs to a sidecar).

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <orders/platform/result.hpp>

namespace orders::command::payment {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string path_prefix;  // "" or "/prefix" without a trailing '/'
};

// http://host[:port][/prefix]; no credentials, query or fragment.
std::optional<HttpUrl> ParseHttpUrl(const std::string& text);

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// The answer, or why there is none (refused, reset, timed out, not HTTP).
// Bodies above 64 KiB are refused: a gateway answer is small.
platform::Result<HttpAnswer> PostJson(const HttpUrl& url, const std::string& path,
                                      const std::vector<std::pair<std::string, std::string>>& headers,
                                      const std::string& body, std::chrono::milliseconds timeout);

}  // namespace orders::command::payment

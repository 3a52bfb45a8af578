#pragma once
// A minimal blocking HTTP/1.1 client with one deadline for the whole exchange
// (connect, send, headers and body): SendRequest uses one connection per
// request; Connect and Exchange let a caller keep connections open
// (keep_alive_client.hpp). It runs only
// on threads of its own (the payment gateway's, the forwarder's), never on a
// service event loop. Plain http://: the peers (a payment gateway, another
// command-service instance) sit next to the service (TLS belongs to a sidecar).

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <orders/platform/result.hpp>

namespace orders::command {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string path_prefix;  // "" or "/prefix" without a trailing '/'
};

// http://host[:port][/prefix]; no credentials, query or fragment.
std::optional<HttpUrl> ParseHttpUrl(const std::string& text);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpClientAnswer {
  int status = 0;
  std::string body;
  HeaderList headers;  // names lower-cased
};

// The answer, or why there is none (refused, reset, timed out, not HTTP).
// Answers above 64 KiB are refused: the answers these peers give are small.
// `target` is the path (and query) after the URL's prefix.
platform::Result<HttpClientAnswer> SendRequest(const HttpUrl& url, const std::string& method, const std::string& target,
                                               const HeaderList& headers, const std::string& body,
                                               std::chrono::milliseconds timeout);

// An open connection to `url`, or why there is none; the caller closes it.
platform::Result<int> Connect(const HttpUrl& url, std::chrono::steady_clock::time_point deadline);

struct HttpExchange {
  HttpClientAnswer answer;
  bool reusable = false;  // the peer keeps the connection open for another request
};

// One request and its whole answer on the open connection `fd`. With
// `keep_alive` the request does not ask the peer to close the connection.
platform::Result<HttpExchange> Exchange(int fd, const HttpUrl& url, const std::string& method,
                                        const std::string& target, const HeaderList& headers, const std::string& body,
                                        std::chrono::steady_clock::time_point deadline, bool keep_alive);

// A JSON POST (Content-Type and Accept application/json).
platform::Result<HttpClientAnswer> PostJson(const HttpUrl& url, const std::string& path, const HeaderList& headers,
                                            const std::string& body, std::chrono::milliseconds timeout);

}  // namespace orders::command

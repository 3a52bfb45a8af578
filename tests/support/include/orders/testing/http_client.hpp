#pragma once
// A small blocking HTTP/1.1 client over a raw socket, for tests: it sends
// exactly the bytes asked for (so hostile-input tests can send malformed
// requests) and reads one response framed by Content-Length or by chunks
// (Transfer-Encoding: chunked, decoded into `body`).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace orders::testing {

struct HttpResponse {
  int status = 0;                              // 0 when no response came
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A complete chunked body (through its last, empty chunk) decoded; nullopt while incomplete or malformed.
std::optional<std::string> DecodeChunked(std::string_view bytes);

// Sends raw bytes and reads one response.
HttpResponse SendRaw(std::uint16_t port, const std::string& bytes,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

HttpResponse HttpRequest(std::uint16_t port, const std::string& method, const std::string& path,
                         const std::string& body = {}, const std::map<std::string, std::string>& headers = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace orders::testing

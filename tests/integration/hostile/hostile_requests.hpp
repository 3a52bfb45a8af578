#pragma once
// The hostile requests, shared by the command-API and query-API suites. Each
// carries a valid order as its body where it has one, so a server that
// misread the framing leniently would accept a real command (and append an
// event, which the command suite checks).

#include <cstdio>
#include <string>

#include <orders/testing/tokens.hpp>

namespace orders::testing::hostile {

// Requests carry a valid service token, so that only their framing is wrong.
inline std::string AuthorizationLine() {
  return "Authorization: " + BearerOf(TestToken("hostile", "service")) + "\r\n";
}

inline const std::string kValidOrder =
    R"({"customerId":"hostile-1","items":[{"productId":"sku-1","quantity":1,"unitPriceCents":100}]})";

inline std::string PostHead(const std::string& extra_headers) {
  return "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + AuthorizationLine() +
         extra_headers + "\r\n";
}

inline std::string WithContentLength(const std::string& value) {
  return PostHead("Content-Length: " + value + "\r\n") + kValidOrder;
}

inline std::string ConflictingContentLengths() {
  return PostHead("Content-Length: " + std::to_string(kValidOrder.size()) + "\r\nContent-Length: 2\r\n") + kValidOrder;
}

inline std::string Chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + data + "\r\n";
}

inline std::string ContentLengthAndChunked() {
  return PostHead("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") + Chunk(kValidOrder) + "0\r\n\r\n";
}

inline std::string ChunkedWithSize(const std::string& size_line) {
  return PostHead("Transfer-Encoding: chunked\r\n") + size_line + "\r\n" + kValidOrder + "\r\n0\r\n\r\n";
}

// A chunk longer than its declared size: the extra bytes would be a smuggled request.
inline std::string ChunkOverrun() {
  return PostHead("Transfer-Encoding: chunked\r\n") + "2\r\n" + kValidOrder + "\r\n0\r\n\r\n";
}

// Declares 64 bytes, sends a few and stops.
inline std::string TruncatedChunk() { return PostHead("Transfer-Encoding: chunked\r\n") + "40\r\n{\"customerId\""; }

inline std::string MegabyteOfHeaders() {
  std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  const std::string line = "X-Padding: " + std::string(1000, 'p') + "\r\n";
  while (request.size() < (1u << 20)) request += line;
  return request + "\r\n";
}

inline std::string UnknownMethod() { return "BREW /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }
inline std::string MalformedMethod() { return "G<T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }
inline std::string FutureVersion() { return "GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n"; }
inline std::string GarbageVersion() { return "GET /healthz HTTQ/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }
inline std::string NulInPath() {
  return std::string("GET /orders/ab") + '\0' + "cd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}
inline std::string GetRequest(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n" + AuthorizationLine() + "\r\n";
}

}  // namespace orders::testing::hostile
